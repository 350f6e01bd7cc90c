"""The "Clients at risk" tile of the core dashboard: the head sees the company, a manager their own."""

from django.utils.translation import gettext_lazy as _

from core.dashboard import DashboardTile, register_tile

from .models import AnalysisRun, RiskFlag


def risks_tile(user, request, now):
    """Two queries: the current run, the distinct clients flagged in it that the user may see."""
    run = AnalysisRun.current()
    count = 0
    if run is not None:
        count = RiskFlag.objects.restrict(user).filter(run=run).values("counterparty").distinct().count()
    return {"run": run, "count": count}


def register():
    register_tile(DashboardTile("risks", _("Clients at risk"), "analytics/tiles/risks.html", risks_tile), order=60)
