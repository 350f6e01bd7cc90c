"""What telephony adds to the shared UI and registries, from ``IntegrationsConfig.ready()``."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core import access
from core.navigation import ACTIVITIES, SETTINGS, NavItem, register_item, register_overlay
from core.registry import register_trash


class PhoneExtensionAdmin(admin.ModelAdmin):
    list_display = ("extension", "user", "comment", "deleted_at")
    list_filter = ("deleted_at",)
    search_fields = ("extension", "user__username", "user__last_name")
    raw_id_fields = ()


def register():
    from ..models import Call, PhoneExtension
    from . import demo

    register_overlay("integrations:call_popup", "integrations/telephony/popup_widget.html", order=200)
    register_item("integrations:calls", NavItem(ACTIVITIES, _("Calls"), "integrations:call_list",
                                                icon="telephone", testid="nav-calls"), 33)
    register_item("integrations:extensions", NavItem(
        SETTINGS, _("Phone extensions"), "integrations:extension_list", icon="telephone-plus",
        permission=access.can_manage_settings, section="integrations", testid="nav-extensions"), 60)
    register_trash(Call, PhoneExtension)
    if not admin.site.is_registered(PhoneExtension):
        admin.site.register(PhoneExtension, PhoneExtensionAdmin)
    demo.register()
