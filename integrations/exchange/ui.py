"""What the exchange with 1C adds to the shared UI: its menu entries (Sales menu)."""

from django.utils.translation import gettext_lazy as _

from core import access
from core.navigation import SALES, NavItem, register_item


def register():
    register_item("integrations:bank_payments", NavItem(
        SALES, _("Payments to review"), "integrations:bankstatementline_list", icon="bank",
        section="bank", testid="nav-bank-payments"), 90)
    register_item("integrations:bank_statements", NavItem(
        SALES, _("Bank statements"), "integrations:bankstatement_list", icon="file-earmark-text",
        permission=access.can_assign, section="bank", testid="nav-bank-statements"), 91)
    register_item("integrations:onec_log", NavItem(
        SALES, _("1C exchange log"), "integrations:onec_log", icon="arrow-left-right",
        permission=access.can_assign, section="bank", testid="nav-onec-log"), 92)
