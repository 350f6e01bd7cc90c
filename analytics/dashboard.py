"""The "Clients at risk" tile of the core dashboard: the head sees the company, a manager their own."""

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from clients.models import Counterparty
from core import access
from core.dashboard import DashboardTile, register_tile

from .models import AnalysisRun, RiskFlag


def risks_tile(user, request, now):
    """The current run with the number of distinct flagged clients the user may see.

    Two queries, not a correlated subquery: with the run's id known when the count is planned,
    PostgreSQL reads that run's partition only (a plan over every partition cost 90 ms of JIT)."""
    run = AnalysisRun.current()
    if run is None:
        return {"run": None, "count": 0}
    flags = RiskFlag.objects.restrict(user).filter(run=run)
    stored = run.counts.get("at_risk")
    if stored is not None and access.rule_for(user)[0] == "all" and access.can(user, access.VIEW, RiskFlag):
        # Counted when the run was published (a count over a large base's flags took 0.1 s);
        # clients put in the trash since are taken off, and come back when restored.
        trashed = Counterparty.all_objects.filter(deleted_at__isnull=False).values("pk")
        gone = RiskFlag.objects.filter(run=run, counterparty__in=trashed).values("counterparty").distinct().count()
        return {"run": run, "count": stored - gone}
    return {"run": run, "count": flags.aggregate(n=Count("counterparty", distinct=True))["n"]}


def register():
    register_tile(DashboardTile("risks", _("Clients at risk"), "analytics/tiles/risks.html", risks_tile), order=60)
