"""API of pipelines, stages, stage rules, lost reasons and deals (with the stage move)."""

import django_filters
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from clients.api.views import reference_viewset
from core import access
from core.api.views import BaseModelViewSet
from core.filtersets import BaseFilterSet

from ..filtersets import DealFilterSet
from ..models import Deal, DealLine, LostReason, Pipeline, Stage, StageRule
from ..services.stages import move_deal, stage_entered
from . import serializers


class PipelineViewSet(BaseModelViewSet):
    """Pipelines with their stages: everyone reads, administrators write."""

    model = Pipeline
    serializer_class = serializers.PipelineSerializer
    ordering_fields = ("id", "order")
    prefetch_related = ("stages",)


StageViewSet = reference_viewset(Stage, serializers.StageSerializer,
                                 pipeline=django_filters.NumberFilter(field_name="pipeline"))
LostReasonViewSet = reference_viewset(LostReason, serializers.LostReasonSerializer)


class StageRuleFilterSet(BaseFilterSet):
    class Meta:
        model = StageRule
        fields = ["stage"]


class StageRuleViewSet(BaseModelViewSet):
    """Tasks created when a deal enters a stage: everyone reads, administrators write."""

    model = StageRule
    serializer_class = serializers.StageRuleSerializer
    filterset_class = StageRuleFilterSet


class DealViewSet(BaseModelViewSet):
    """Deals; filters as in the HTML list (``q``, ``pipeline``, ``stage``, ``kind``, …)."""

    model = Deal
    serializer_class = serializers.DealSerializer
    filterset_class = DealFilterSet
    ordering = ("-created_at",)
    ordering_fields = ("id", "created_at", "amount")
    select_related = ("stage",)

    def perform_create(self, serializer):
        with transaction.atomic():
            deal = serializer.save()
            stage_entered(deal, None, self.request.user)

    @extend_schema(request=serializers.DealMoveSerializer, responses=serializers.DealSerializer,
                   summary="Move to another stage of its pipeline (runs the stage rules; 409 if stale)")
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def move(self, request, pk=None):
        deal = self.get_object()
        data = serializers.DealMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stage = get_object_or_404(Stage.objects.all(), pk=data.validated_data["stage"])
        with transaction.atomic():
            move_deal(deal, stage, request.user, data.validated_data["version"])
        deal.refresh_from_db()
        return Response(self.get_serializer(deal).data)

    @extend_schema(responses=serializers.StageChangeSerializer(many=True), summary="Stage history")
    @action(detail=True, methods=["get"], access_action=access.VIEW, filter_backends=[], pagination_class=None)
    def stages(self, request, pk=None):
        changes = self.get_object().stage_changes.order_by("moved_at", "pk")
        return Response(serializers.StageChangeSerializer(changes, many=True).data)


class DealLineFilterSet(BaseFilterSet):
    class Meta:
        model = DealLine
        fields = ["deal"]


class DealLineViewSet(BaseModelViewSet):
    model = DealLine
    serializer_class = serializers.DealLineSerializer
    filterset_class = DealLineFilterSet
