from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import BaseModelSerializer

from ..models import Deal, DealLine, LostReason, Pipeline, Stage, StageChange, StageRule


class StageSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = Stage


class PipelineSerializer(BaseModelSerializer):
    stages = serializers.SerializerMethodField(help_text="The stages in order (edit them at /api/stages/).")

    class Meta(BaseModelSerializer.Meta):
        model = Pipeline

    @extend_schema_field({"type": "array", "items": {"type": "object"}})
    def get_stages(self, obj):
        return [{"id": s.pk, "name": s.name, "order": s.order, "probability": s.probability, "kind": s.kind}
                for s in obj.stages.all()]


class LostReasonSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = LostReason


class StageRuleSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = StageRule


class DealLineSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = DealLine


class DealSerializer(BaseModelSerializer):
    """``stage`` is set on create; later moves go through ``POST /api/deals/<id>/move/`` (rules run)."""

    assign_fields = ("responsible",)
    pipeline = serializers.IntegerField(source="stage.pipeline_id", read_only=True)

    class Meta(BaseModelSerializer.Meta):
        model = Deal
        read_only_fields = (*BaseModelSerializer.Meta.read_only_fields, "closed_at")
        extra_kwargs = {"responsible": {"required": False, "help_text": "Default: you."}}

    def validate(self, attrs):
        if self.instance is None:
            attrs.setdefault("responsible", self.user)
        return super().validate(attrs)

    def get_fields(self):
        fields = super().get_fields()
        if isinstance(self.instance, models.Model):
            fields["stage"].read_only = True
        return fields


class DealMoveSerializer(serializers.Serializer):
    stage = serializers.IntegerField()
    version = serializers.IntegerField(min_value=1)


class StageChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = StageChange
        fields = ("id", "from_stage", "to_stage", "moved_by", "moved_at")
