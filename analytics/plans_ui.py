"""What the sales plans and manager indicators add to the shared UI: the REPORTS menu entry and
the dashboard's "Plan for <month>" tile (registered from ``AnalyticsConfig.ready()``)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import access
from core.access import Role
from core.dashboard import DashboardTile, register_tile
from core.navigation import REPORTS, NavItem, register_item

from .models import AnalysisSettings
from .services import plans
from .services.kpi import can_see_everyone


def tile_permission(user):
    return access.can_assign(user) or getattr(user, "role", None) == Role.SALES_MANAGER


def plan_tile(user, request, now):
    month, figures = plans.tile(user, timezone.localdate(now))
    metrics = []
    for key, label in [("revenue", _("Revenue")), ("new_clients", _("New clients")), ("contacts", _("Contacts"))]:
        done = figures.done(key)
        width = 0 if done is None else min(100, int(done) // 25 * 25)  # Bootstrap's w-0/25/50/75/100
        metrics.append({"key": key, "label": label, "money": key == "revenue", "plan": figures.plan[key],
                        "actual": figures.actual[key], "done": done, "width": width,
                        "bar": 0 if done is None else min(100, int(done))})
    return {"plan_month": month, "plan_figures": figures, "plan_metrics": metrics,
            "plan_company": can_see_everyone(user), "plan_currency": AnalysisSettings.load().analysis_currency}


def register():
    from .views import kpi  # noqa: F401  the reports register themselves

    register_item("analytics:plans", NavItem(REPORTS, gettext_lazy("Sales plans"), "analytics:plan_list",
                                             icon="bullseye", section="analytics", testid="nav-plans"), order=60)
    register_tile(DashboardTile("sales_plan", gettext_lazy("Sales plan"), "analytics/tiles/plan.html", plan_tile,
                                permission=tile_permission), order=15)
