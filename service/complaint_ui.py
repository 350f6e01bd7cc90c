"""What complaints add to the shared UI: menu entries, the client card's tab, the dashboard tile."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from core import access
from core.cards import CardTab, register_tab
from core.dashboard import DashboardTile, register_tile
from core.navigation import SERVICE, SETTINGS, NavItem, register_item

from .models import Complaint
from .models.complaints import open_complaint


def complaint_counts(user, now):
    """Open and overdue complaints in the user's scope: one query over the open ones only
    (the partial index of the open complaints), never a count of the whole table."""
    return (Complaint.objects.restrict(user, access.VIEW).filter(open_complaint())
            .aggregate(open_complaints=Count("id"), overdue_complaints=Count("id", filter=Q(deadline__lt=now))))


def complaints_tile(user, request, now):
    return complaint_counts(user, now)


def register():
    settings = access.can_manage_settings
    register_item("service:complaints", NavItem(SERVICE, _("Complaints"), "service:complaint_list",
                                                icon="exclamation-octagon", section="complaints",
                                                testid="nav-complaints"), 60)
    register_item("service:complaint_types", NavItem(SETTINGS, _("Complaint types"), "service:complainttype_list",
                                                     permission=settings, section="service"), 60)
    register_item("service:departments", NavItem(SETTINGS, _("Departments"), "service:department_list",
                                                 permission=settings, section="service"), 61)
    register_tab(CardTab("complaints", _("Complaints"), url_name="service:card_complaints",
                         testid="complaints-tab"), 80)
    register_tile(DashboardTile("complaints", _("Complaints"), "service/dashboard/complaints.html",
                                complaints_tile), order=60)
