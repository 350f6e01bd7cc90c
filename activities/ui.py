"""What the activities app adds to the shared UI (card tabs, navigation, dashboard tiles),
from ``ActivitiesConfig.ready()``."""

from django.utils.translation import gettext_lazy as _

from core import access
from core.cards import CardTab, register_tab
from core.navigation import ACTIVITIES, SETTINGS, NavItem, register_item, register_widget


def register():
    register_widget("activities:bell", "activities/notifications/bell.html")
    register_tab(CardTab("interactions", _("Interactions"), url_name="activities:card_interactions",
                         testid="interactions-tab"), 30)

    for order, key, item in [
        (30, "interactions", NavItem(ACTIVITIES, _("Interactions"), "activities:interaction_list",
                                     icon="chat-left-text")),
        (31, "tasks", NavItem(ACTIVITIES, _("My tasks"), "activities:task_list", icon="check2-square",
                              testid="my-tasks")),
        (32, "calendar", NavItem(ACTIVITIES, _("Calendar"), "activities:calendar", icon="calendar3",
                                 testid="nav-calendar")),
        (30, "types", NavItem(SETTINGS, _("Interaction types"), "activities:type_list",
                              permission=access.can_manage_settings, section="activities")),
    ]:
        register_item(f"activities:{key}", item, order)
