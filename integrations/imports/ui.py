"""What the imports add to the shared UI: the menu entry."""

from django.utils.translation import gettext_lazy as _

from core.navigation import CLIENTS, NavItem, register_item

from . import services


def register():
    register_item("integrations:imports", NavItem(CLIENTS, _("Import"), "integrations:import_list", icon="upload",
                                                  section="imports", permission=services.may_import,
                                                  testid="nav-imports"), 90)
