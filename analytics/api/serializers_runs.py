"""Serializers of analysis runs, their rows and risk flags (all read-only but the run request)."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import access
from core.dates import SerializerDateField

from ..forms import period_errors
from ..models import AnalysisRun, ClientAnalysis, Measure, RiskFlag
from ..tables import explain


class AnalysisRunSerializer(serializers.ModelSerializer):
    """A run with its status; ``clients`` and ``total`` count only the clients the caller sees."""

    clients = serializers.SerializerMethodField(help_text="Clients in the run that you may see.")
    total = serializers.SerializerMethodField(help_text="Sum of the measure over those clients.")
    error = serializers.SerializerMethodField(help_text="Why the run failed (heads and administrators).")

    class Meta:
        model = AnalysisRun
        fields = ("id", "analysis_date", "period_start", "period_end", "measure", "currency", "params", "status",
                  "progress", "step", "error", "nightly", "started_by", "created_at", "started_at", "finished_at",
                  "previous", "clients", "total", "skipped")
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_clients(self, run):
        return getattr(run, "visible_clients", run.clients)

    @extend_schema_field(serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True))
    def get_total(self, run):
        value = getattr(run, "visible_total", run.total)
        return None if value is None else str(value)

    @extend_schema_field(OpenApiTypes.STR)
    def get_error(self, run):
        request = self.context.get("request")
        return run.error if request is not None and access.can_assign(request.user) else ""


class RunStartSerializer(serializers.Serializer):
    """What a head may choose; the rest comes from the analysis settings."""

    analysis_date = SerializerDateField(required=False, help_text="Default: today.")
    measure = serializers.ChoiceField(choices=Measure.choices, required=False,
                                      help_text="Default: the analysis settings' measure.")
    period_start = SerializerDateField(required=False, allow_null=True,
                                       help_text="With period_end; default: the full months before the date.")
    period_end = SerializerDateField(required=False, allow_null=True)

    def validate(self, attrs):
        errors = period_errors(attrs.get("analysis_date") or timezone.localdate(), attrs.get("period_start"),
                               attrs.get("period_end"))
        if errors:
            raise serializers.ValidationError({name: [str(message)] for name, message in errors.items()})
        return attrs


def code_field(help_text):
    # Plain strings: the same choice sets serve several fields (computed, effective, previous) and
    # apps, and would otherwise get one OpenAPI enum name per field.
    return serializers.CharField(read_only=True, help_text=help_text)


class ClientAnalysisSerializer(serializers.ModelSerializer):
    counterparty_name = serializers.CharField(source="counterparty.name", read_only=True)
    abc = code_field("A, B, C or empty (no sales in the period)")
    abc_effective = code_field("A, B, C or empty (no sales in the period)")
    stage = code_field("potential, one_time, regular or lost")
    stage_effective = code_field("potential, one_time, regular or lost")
    xyz = code_field("X, Y, Z or empty (not a regular client)")
    xyz_effective = code_field("X, Y, Z or empty (not a regular client)")

    class Meta:
        model = ClientAnalysis
        fields = "__all__"
        read_only_fields = [f.name for f in ClientAnalysis._meta.fields]


class RiskFlagSerializer(serializers.ModelSerializer):
    counterparty_name = serializers.CharField(source="counterparty.name", read_only=True)
    reason_display = serializers.CharField(source="get_reason_display", read_only=True)
    explanation = serializers.SerializerMethodField(help_text="The details as a person reads them.")

    class Meta:
        model = RiskFlag
        fields = ("id", "run", "counterparty", "counterparty_name", "main_manager", "reason", "reason_display",
                  "details", "explanation")
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_explanation(self, flag):
        return explain(flag.reason, flag.details)
