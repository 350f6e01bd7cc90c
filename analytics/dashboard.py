"""The "Clients at risk" tile of the core dashboard: the head sees the company, a manager their own."""

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from core.dashboard import DashboardTile, register_tile

from .models import AnalysisRun, RiskFlag


def risks_tile(user, request, now):
    """The current run with the number of distinct flagged clients the user may see.

    Two queries, not a correlated subquery: with the run's id known when the count is planned,
    PostgreSQL reads that run's partition only (a plan over every partition cost 90 ms of JIT)."""
    run = AnalysisRun.current()
    if run is None:
        return {"run": None, "count": 0}
    count = RiskFlag.objects.restrict(user).filter(run=run).aggregate(n=Count("counterparty", distinct=True))["n"]
    return {"run": run, "count": count}


def register():
    register_tile(DashboardTile("risks", _("Clients at risk"), "analytics/tiles/risks.html", risks_tile), order=60)
