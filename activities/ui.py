"""What the activities app adds to the shared UI (card tabs, navigation, dashboard tiles),
from ``ActivitiesConfig.ready()``."""

from django.utils.translation import gettext_lazy as _

from core import access
from core.cards import CardTab, register_tab
from core.navigation import ACTIVITIES, REPORTS, SETTINGS, NavItem, register_item


def register():
    register_tab(CardTab("interactions", _("Interactions"), url_name="activities:card_interactions",
                         testid="interactions-tab"), 30)

    for order, key, item in [
        (30, "interactions", NavItem(ACTIVITIES, _("Interactions"), "activities:interaction_list",
                                     icon="chat-left-text")),
        (31, "tasks", NavItem(ACTIVITIES, _("My tasks"), "activities:task_list", icon="check2-square",
                              testid="my-tasks")),
        (32, "calendar", NavItem(ACTIVITIES, _("Calendar"), "activities:calendar", icon="calendar3",
                                 testid="nav-calendar")),
        (30, "reports", NavItem(REPORTS, _("All reports"), "activities:report_index", section="activities",
                                testid="nav-activity-reports")),
        (31, "report_contact_info", NavItem(REPORTS, _("Contact information of counterparties"),
                                            "activities:report_contact_info", section="activities")),
        (32, "report_contacts", NavItem(REPORTS, _("Contacts for a period"), "activities:report_contacts",
                                        section="activities")),
        (33, "report_analysis", NavItem(REPORTS, _("Interaction analysis"), "activities:report_analysis",
                                        section="activities")),
        (34, "report_without", NavItem(REPORTS, _("Clients without interactions"),
                                       "activities:report_without_interactions", section="activities")),
        (30, "types", NavItem(SETTINGS, _("Interaction types"), "activities:type_list",
                              permission=access.can_manage_settings, section="activities")),
    ]:
        register_item(f"activities:{key}", item, order)
