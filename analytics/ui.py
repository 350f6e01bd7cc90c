"""What the analysis runs, settings and at-risk list add to the shared UI (navigation, the
dashboard tile); imported from ``AnalyticsConfig.ready()``."""

from django.utils.translation import gettext_lazy as _

from core import access
from core.navigation import REPORTS, SETTINGS, NavItem, register_item

from . import dashboard


def register():
    for order, key, item in [
        (60, "runs", NavItem(REPORTS, _("Analysis runs"), "analytics:run_list", icon="cpu", section="analytics",
                             testid="nav-analysis-runs")),
        (61, "risks", NavItem(REPORTS, _("Clients at risk"), "analytics:risk_list", icon="exclamation-triangle",
                              section="analytics", testid="nav-risks")),
        (60, "settings", NavItem(SETTINGS, _("Analysis settings"), "analytics:settings", icon="sliders",
                                 permission=access.can_manage_settings, section="analytics")),
    ]:
        register_item(f"analytics:{key}", item, order)
    dashboard.register()


register()
