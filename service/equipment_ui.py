"""What equipment and service add to the shared UI: menu entries, the client card's Equipment
tab, the order card's installation panel, the calendar source and a dashboard tile (registered
from ``ServiceConfig.ready()``)."""

import datetime

from django.utils.translation import gettext_lazy as _

from core import access
from core.cards import CardPanel, CardTab, register_panel, register_tab
from core.dashboard import DashboardTile, register_tile
from core.navigation import SERVICE, NavItem, register_item

from . import equipment_calendar
from .equipment_forms import InstallationForm
from .models import ServiceVisit


def installation_panel(request, order):
    from .equipment_services import existing_installation

    can_create = access.may(request.user, access.CHANGE, order)
    task = existing_installation(order)
    if task is None and not can_create:
        return None
    return {"task": task, "can_create": can_create, "installation_form": InstallationForm()}


def visits_tile(user, request, now):
    from django.utils import timezone

    today = timezone.localdate(now)
    monday = today - datetime.timedelta(days=today.weekday())
    start = timezone.make_aware(datetime.datetime.combine(monday, datetime.time.min))
    end = start + datetime.timedelta(days=7)
    visits = (ServiceVisit.objects.restrict(user).filter(
        state=ServiceVisit.State.PLANNED, planned_start__gte=start, planned_start__lt=end)
        .select_related("counterparty", "engineer", "equipment__product").order_by("planned_start", "pk"))
    return {"week_visits": visits[:20], "week_visit_count": visits.count()}


TILE_ROLES = frozenset({access.Role.SERVICE, access.Role.ADMIN, access.Role.COMPANY_HEAD})


def _sees_service(user):
    return bool(user.is_superuser or user.role in TILE_ROLES)


def register():
    register_item("service:equipment", NavItem(SERVICE, _("Equipment"), "service:equipment_list", icon="hdd-rack",
                                               section="service", testid="nav-equipment"), 60)
    register_item("service:contracts", NavItem(SERVICE, _("Service contracts"), "service:contract_list",
                                               icon="file-earmark-text", section="service",
                                               testid="nav-service-contracts"), 61)
    register_item("service:visits", NavItem(SERVICE, _("Service visits"), "service:visit_list", icon="tools",
                                            section="service", testid="nav-service-visits"), 62)
    register_tab(CardTab("equipment", _("Equipment"), url_name="service:card_equipment", testid="equipment-tab"), 80)
    register_panel(CardPanel("installation", "service/order_installation_panel.html", installation_panel,
                             card="sales.order"), order=50)
    register_tile(DashboardTile("service_visits", _("Service visits this week"), "service/dashboard/visits.html",
                                visits_tile, permission=_sees_service), order=70)
    equipment_calendar.register()
