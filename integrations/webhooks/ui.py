"""What webhooks add to the shared UI: the Settings menu entries (administrators)."""

from django.utils.translation import gettext_lazy as _

from core import access
from core.navigation import SETTINGS, NavItem, register_item


def register():
    register_item("integrations:webhooks", NavItem(
        SETTINGS, _("Webhooks"), "integrations:webhook_list", icon="broadcast", section="integrations",
        permission=access.can_manage_settings, testid="nav-webhooks"), 850)
    register_item("integrations:webhook_deliveries", NavItem(
        SETTINGS, _("Webhook delivery log"), "integrations:webhook_delivery_list", icon="journal-arrow-up",
        section="integrations", permission=access.can_manage_settings, testid="nav-webhook-deliveries"), 851)
