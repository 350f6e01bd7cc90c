"""API of analysis runs (start, status, rows) and of the at-risk list.

Runs are company-wide; what they contain comes through ``restrict(user)`` (a manager gets the
rows and counts of their own clients). Rows and risk flags are derived: read-only.
"""

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from core import access
from core.api.permissions import access_action
from core.api.router import router

from ..filtersets import ClientAnalysisFilterSet, RiskFlagFilterSet, RunFilterSet
from ..models import AnalysisRun, RiskFlag
from ..services import runs as service
from ..views.risks import risk_flags
from ..views.runs import ROWS_ORDERING, can_start, visible_rows, with_visible_totals
from .serializers_runs import AnalysisRunSerializer, ClientAnalysisSerializer, RiskFlagSerializer, RunStartSerializer

ROW_FILTERS = [
    OpenApiParameter("q", str, description="Client name contains"),
    OpenApiParameter("abc", str, enum=["A", "B", "C"], description="Effective ABC class"),
    OpenApiParameter("stage", str, enum=["potential", "one_time", "regular", "lost"],
                     description="Effective relationship stage"),
    OpenApiParameter("xyz", str, enum=["X", "Y", "Z"], description="Effective XYZ class"),
    OpenApiParameter("main_manager", int, description="Main manager's id"),
]


class AnalysisRunViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         viewsets.GenericViewSet):
    """Analysis runs: status and progress; ``POST`` queues a new run (heads and administrators)."""

    model = AnalysisRun
    access_action = None  # set per extra action; otherwise derived from the HTTP method
    queryset = AnalysisRun.objects.none()  # for the router and the schema: rows come from restrict()
    serializer_class = AnalysisRunSerializer
    filterset_class = RunFilterSet
    ordering = ("-id",)
    ordering_fields = ("id", "created_at", "analysis_date")
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        user = self.request.user
        qs = AnalysisRun.objects.restrict(user, access_action(self.request, self) or access.VIEW)
        return with_visible_totals(qs.select_related("started_by"), user)

    @extend_schema(request=RunStartSerializer, responses={201: AnalysisRunSerializer},
                   summary="Queue a run for the worker (heads and administrators)")
    def create(self, request, *args, **kwargs):
        if not can_start(request.user):
            raise PermissionDenied("Only heads and administrators start analysis runs.")
        data = RunStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        options = {key: value for key, value in data.validated_data.items() if value is not None}
        with transaction.atomic():
            run = service.start(request.user, **options)
        run = self.get_queryset().get(pk=run.pk)
        return Response(self.get_serializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=ClientAnalysisSerializer(many=True), parameters=ROW_FILTERS,
                   summary="The run's row per client (only the clients you may see)")
    @action(detail=True, methods=["get"], access_action=access.VIEW, filter_backends=[])
    def rows(self, request, pk=None):
        run = self.get_object()
        qs = visible_rows(request.user, run).select_related("counterparty").order_by(*ROWS_ORDERING)
        filterset = ClientAnalysisFilterSet(request.query_params, queryset=qs, request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        page = self.paginate_queryset(filterset.qs)
        return self.get_paginated_response(ClientAnalysisSerializer(page, many=True).data)


class RiskFlagViewSet(viewsets.ReadOnlyModelViewSet):
    """Clients at risk: the current run's flags unless ``run`` names another; read-only."""

    model = RiskFlag
    queryset = RiskFlag.objects.none()
    serializer_class = RiskFlagSerializer
    filterset_class = RiskFlagFilterSet
    ordering = ("id",)
    ordering_fields = ("id",)
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if self.action == "list":
            return risk_flags(self.request.user, self.request.query_params)
        return RiskFlag.objects.restrict(self.request.user).select_related("counterparty")


router.register("analysis-runs", AnalysisRunViewSet)
router.register("risks", RiskFlagViewSet)
