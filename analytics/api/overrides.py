"""API: the current classification per client (read-only) and the heads' class overrides (CRUD)."""

import django_filters
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import IntegerField, OuterRef, Subquery, Value
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action

from clients.models import Counterparty
from core import access
from core.api.router import router
from core.api.serializers import BaseModelSerializer
from core.api.views import BaseModelViewSet
from core.filtersets import BaseFilterSet

from ..clients_ui import trend
from ..models import ABC, XYZ, AnalysisRun, Classification, ClassOverride, ClientAnalysis, Stage
from ..services import overrides

# Plain strings (up / down / same / new): three enums with one value set warn in the schema.


# --- Classification ------------------------------------------------------------------------------

class ClassificationFilterSet(BaseFilterSet):
    abc = django_filters.MultipleChoiceFilter(label=gettext_lazy("ABC class"), choices=ABC.choices)
    stage = django_filters.MultipleChoiceFilter(label=gettext_lazy("Relationship stage"), choices=Stage.choices)
    xyz = django_filters.MultipleChoiceFilter(label=gettext_lazy("XYZ class"), choices=XYZ.choices)
    main_manager = django_filters.ModelMultipleChoiceFilter(
        label=gettext_lazy("Main manager"), field_name="counterparty__main_manager",
        queryset=get_user_model().objects.filter(is_active=True))
    counterparty = django_filters.NumberFilter(label=gettext_lazy("Client id"))
    overridden = django_filters.BooleanFilter(label=gettext_lazy("Overridden"))

    class Meta:
        model = Classification
        fields = []


class ClassificationSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="counterparty_id", read_only=True, help_text="The client's id.")
    counterparty_name = serializers.CharField(source="counterparty.name", read_only=True)
    main_manager = serializers.IntegerField(source="counterparty.main_manager_id", read_only=True, allow_null=True)
    abc_computed = serializers.CharField(read_only=True, allow_null=True,
                                         help_text="The run's computed class (null: the client is not in it).")
    stage_computed = serializers.CharField(read_only=True, allow_null=True)
    xyz_computed = serializers.CharField(read_only=True, allow_null=True)
    abc_trend = serializers.SerializerMethodField(help_text="Against the previous run: up, down, same or new.")
    stage_trend = serializers.SerializerMethodField(help_text="Against the previous run: up, down, same or new.")
    xyz_trend = serializers.SerializerMethodField(help_text="Against the previous run: up, down, same or new.")
    run = serializers.IntegerField(read_only=True, allow_null=True, help_text="The current run's id.")

    class Meta:
        model = Classification
        fields = ("id", "counterparty", "counterparty_name", "main_manager", "run", "abc", "stage", "xyz",
                  "abc_computed", "stage_computed", "xyz_computed", "abc_prev", "stage_prev", "xyz_prev",
                  "abc_trend", "stage_trend", "xyz_trend", "overridden")
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_abc_trend(self, obj):
        return trend("abc", obj.abc, obj.abc_prev)

    @extend_schema_field(OpenApiTypes.STR)
    def get_stage_trend(self, obj):
        return trend("stage", obj.stage, obj.stage_prev)

    @extend_schema_field(OpenApiTypes.STR)
    def get_xyz_trend(self, obj):
        return trend("xyz", obj.xyz, obj.xyz_prev)


class ClassificationViewSet(viewsets.ReadOnlyModelViewSet):
    """The current classes of each client (the newest run with overrides applied), read-only.

    ``abc`` / ``stage`` / ``xyz`` are the effective values, ``*_computed`` the run's own,
    ``*_prev`` the previous run's (null: new), ``*_trend`` up / down / same / new. The id is the
    client's. A manager sees their clients only.
    """

    model = Classification
    queryset = Classification.objects.none()  # rows come from restrict()
    serializer_class = ClassificationSerializer
    filterset_class = ClassificationFilterSet
    ordering = ("pk",)
    ordering_fields = ("pk",)
    # The pk is the client's foreign key: Django does not range-check it like an id, so an id a
    # bigint cannot hold must not reach the query (a 404 from the router instead).
    lookup_value_regex = r"\d{1,18}"

    def get_queryset(self):
        run = AnalysisRun.current()
        row = ClientAnalysis.objects.filter(run=run, counterparty=OuterRef("counterparty"))
        return Classification.objects.restrict(self.request.user, access.VIEW).select_related(
            "counterparty").annotate(run=Value(run.pk if run else None, IntegerField()),
                                     **{f"{name}_computed": Subquery(row.values(name)[:1])
                                        for name in overrides.FIELDS})


# --- Overrides -----------------------------------------------------------------------------------

class ClassOverrideFilterSet(BaseFilterSet):
    counterparty = django_filters.NumberFilter(label=gettext_lazy("Client id"))

    class Meta:
        model = ClassOverride
        fields = []


class ClassOverrideSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = ClassOverride
        read_only_fields = ("created_at", "updated_at", "set_by")

    def validate_counterparty(self, value):
        if self.instance is not None and value != self.instance.counterparty:
            raise serializers.ValidationError(_("An override stays with its client: remove it and set a new one."))
        if self.instance is None and ClassOverride.objects.filter(counterparty=value).exists():
            raise serializers.ValidationError(_("This client already has an override: change that one."))
        return value

    def save_instance(self):
        self._validated_instance.set_by = self.user
        return super().save_instance()


class ClassOverrideViewSet(BaseModelViewSet):
    """A head's override of a client's ABC class, stage or XYZ class, with a reason.

    Everyone reads the overrides of the clients they see; only heads (company head, head of
    sales, administrator) write them (403 for others). One live override per client; deleting
    moves it to the trash (restorable); the client's classification follows at once.
    """

    model = ClassOverride
    serializer_class = ClassOverrideSerializer
    filterset_class = ClassOverrideFilterSet
    select_related = ("set_by",)
    ordering = ("-pk",)

    def perform_create(self, serializer):
        with transaction.atomic():
            overrides.apply(serializer.save().counterparty)

    def perform_update(self, serializer):
        with transaction.atomic():
            overrides.apply(serializer.save().counterparty)

    def perform_destroy(self, instance):
        with transaction.atomic():
            super().perform_destroy(instance)
            overrides.apply(instance.counterparty)

    @extend_schema(request=None, summary="Restore from the trash")
    @action(detail=True, methods=["post"], access_action=access.DELETE, filter_backends=[])
    def restore(self, request, pk=None):
        with transaction.atomic():
            response = super().restore(request, pk)
            overrides.apply(Counterparty(pk=response.data["counterparty"]))
        return response


router.register("classifications", ClassificationViewSet, basename="classification")
router.register("class-overrides", ClassOverrideViewSet, basename="classoverride")
