"""The at-risk list (early warning): the current run's risk flags the user may see."""

from django.db.models import F

from core.views.generic import ObjectListView

from ..filtersets import RiskFlagFilterSet
from ..models import AnalysisRun, RiskFlag
from ..tables import RiskTable


def risk_flags(user, params):
    """Flags ``user`` may see: of the run ``params`` names (a filter applies it), else the current one."""
    # The client's name as a column of its own: keyset pagination sorts by it (core.pagination).
    qs = RiskFlag.objects.restrict(user).select_related("counterparty", "main_manager").annotate(
        client_name=F("counterparty__name"))
    if params.get("run"):
        return qs
    current = AnalysisRun.current()
    return qs.filter(run=current) if current is not None else qs.none()


class RiskListView(ObjectListView):
    model = RiskFlag
    filterset_class = RiskFlagFilterSet
    table_class = RiskTable
    template_name = "analytics/risk_list.html"
    export_name = "clients-at-risk"

    def get_base_queryset(self):
        return risk_flags(self.request.user, self.request.GET)

    def extra_context(self):
        return {"current_run": AnalysisRun.current()}
