"""The "Clients at risk" tile of the core dashboard: the head sees the company, a manager their own."""

from django.db.models import Count, OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from core.dashboard import DashboardTile, register_tile

from .models import AnalysisRun, RiskFlag


def risks_tile(user, request, now):
    """One query: the current run with the number of distinct flagged clients the user may see."""
    flagged = (RiskFlag.objects.restrict(user).filter(run=OuterRef("pk")).order_by().values("run")
               .annotate(n=Count("counterparty", distinct=True)).values("n"))
    run = (AnalysisRun.objects.filter(status=AnalysisRun.Status.DONE).order_by("-finished_at", "-id")
           .annotate(risk_clients=Subquery(flagged)).first())  # the same run as AnalysisRun.current()
    return {"run": run, "count": (run.risk_clients or 0) if run is not None else 0}


def register():
    register_tile(DashboardTile("risks", _("Clients at risk"), "analytics/tiles/risks.html", risks_tile), order=60)
