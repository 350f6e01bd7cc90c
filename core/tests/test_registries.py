"""What the apps contribute through core.registry is there, in order, and renders.

Core's tests may use the apps' models and factories (see test_dependencies); the pages under
test only read the registries.
"""

import datetime as dt
import re
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command, load_command_class
from django.urls import reverse

from clients.tests.factories import CounterpartyFactory
from core import calendar, dashboard, navigation, registry
from core.access import Role
from core.cards import COUNTERPARTY, tabs_for
from sales.models import Order
from sales.services import orders
from sales.tests.factories import OrderFactory, OrderLineFactory, PaymentFactory, ShipmentFactory

pytest_plugins = ["core.tests.browser"]
pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")


def test_every_registry_has_the_apps_contributions_in_order():
    assert registry.calendar_sources.keys() == ["interaction", "task", "reminder", "shipment", "payment",
                                                 "service_visit"]
    assert registry.demo_loaders.keys() == ["clients", "activities", "sales", "analytics", "marketing",
                                            "marketing_sms", "marketing_calls", "complaints", "service_equipment",
                                            "knowledge", "mail", "service_surveys", "telephony", "webhooks"]
    assert registry.bench_cases.keys() == ["clients", "activities", "sales", "analytics", "marketing", "complaints",
                                           "knowledge", "imports"]
    assert registry.dashboard_tiles.keys() == ["money", "sales_plan", "forecast", "stages", "employees", "risks",
                                                "complaints", "service_visits", "survey_satisfaction"]
    assert [key.split(":", 1)[1] for key in registry.card_tabs.keys() if key.startswith(COUNTERPARTY + ":")] == [
        "main", "properties", "interactions", "deals", "orders", "documents", "persons", "groups", "sms",
        "supplier", "complaints", "equipment", "attachments", "history"]
    assert registry.attachments.keys() == ["clients.counterparty", "sales.deal", "sales.order", "sales.product",
                                           "service.complaint",
                                           "integrations.incomingletter"]
    groups = {item.group for item in registry.navigation}
    assert groups == {key for key, _label in navigation.MENUS}
    assert registry.navbar_widgets.keys() == ["activities:bell"]
    assert registry.page_overlays.keys() == ["integrations:call_popup"]
    assert [r.slug for r in registry.reports][-3:] == ["campaign-effectiveness", "lead-source-effectiveness",
                                                    "contacts-sources"]
    assert len(registry.reports) == 25 and len(registry.periodic_tasks) == 14
    assert registry.periodic_tasks.keys()[3:5] == ["email_queue", "sms_queue"]


def test_the_bar_draws_the_registered_widgets(manager, client_for):
    body = client_for(manager).get(reverse("clients:counterparty_list")).content.decode()
    assert 'data-testid="notification-bell"' in body


# --- Calendar sources -------------------------------------------------------------------------

@pytest.fixture
def planned_order(manager):
    cp = CounterpartyFactory(main_manager=manager, name="Ромашка")
    order = OrderFactory(counterparty=cp, responsible=manager, state=Order.State.CONFIRMED)
    line = OrderLineFactory(order=order, product="Окно", quantity=Decimal(5), price=Decimal(100))
    orders.recalc(order)
    shipment = ShipmentFactory(line=line, order=order, kind="planned", quantity=Decimal(5), date=dt.date(2026, 3, 5))
    payment = PaymentFactory(order=order, kind="planned", amount=Decimal(500), date=dt.date(2026, 3, 6))
    return order, shipment, payment


def test_calendar_shows_the_sales_sources_events(planned_order, manager, client_for):
    order, shipment, payment = planned_order
    with time_machine.travel(dt.datetime(2026, 3, 4, 12, tzinfo=MSK), tick=False):
        page = client_for(manager).get(reverse("activities:calendar"), {"view": "week", "date": "2026-03-04"})
        html = page.content.decode()
        assert f'data-key="shipment-{shipment.pk}"' in html and f'data-key="payment-{payment.pk}"' in html
        # The filter's event types come from the sources, sales' included.
        assert '<option value="shipment"' in html and '<option value="payment"' in html
        only = client_for(manager).get(reverse("activities:calendar"),
                                       {"view": "week", "date": "2026-03-04", "type": "shipment"}).content.decode()
        assert f'data-key="shipment-{shipment.pk}"' in only and "payment-" not in only
        # The quick search goes through the source's client search (sales' rows too).
        start, end = calendar.day_bounds(dt.date(2026, 3, 2), dt.date(2026, 3, 8))
        found = calendar.events_for(manager, manager, start, end, calendar.CalendarFilters(q="Ромашка"))
        assert {ev.key for ev in found} == {f"shipment-{shipment.pk}", f"payment-{payment.pk}"}
        assert all(ev.client_url == order.counterparty.get_absolute_url() for ev in found)
        assert calendar.events_for(manager, manager, start, end, calendar.CalendarFilters(q="Лютик")) == []


def test_a_source_without_client_search_finds_nothing_when_searched(planned_order, manager):
    source = registry.calendar_sources["shipment"]
    start, end = calendar.day_bounds(dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    searched = calendar.CalendarFilters(q="Ромашка")
    assert source.events(manager, manager, start, end, searched)
    try:
        source.client_search = None  # instance attribute: fails closed instead of ignoring the search
        assert source.events(manager, manager, start, end, searched) == []
    finally:
        del source.client_search


# --- Demo and bench ---------------------------------------------------------------------------

def test_bench_takes_the_options_the_apps_register():
    parser = load_command_class("core", "bench").create_parser("manage.py", "bench")
    options = parser.parse_args(["--deals-per-client", "0.1", "--orders-per-client", "0"])
    assert (options.deals_per_client, options.orders_per_client) == (0.1, 0)


def test_load_demo_runs_the_loaders_in_order_and_shares_their_results(monkeypatch, settings):
    from core.management.commands.load_demo import DemoLoader

    settings.DEMO_MODE = True
    calls = []
    saved = dict(registry.demo_loaders._items)
    monkeypatch.setattr(registry.demo_loaders, "_items", {})
    registry.demo_loaders.register("late", DemoLoader(lambda ctx: calls.append(("late", ctx.shared["n"]))), order=2)
    registry.demo_loaders.register("early", DemoLoader(
        lambda ctx: (calls.append(("early", None)), ctx.shared.update(n=1), ctx.logins.append(("u", "Role", True)))),
        order=1)
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert calls == [("early", None), ("late", 1)]
    assert "  u / u  — Role" in out.getvalue()
    assert set(saved) == {"clients", "activities", "sales", "analytics", "marketing", "marketing_sms",
                          "marketing_calls", "complaints", "service_equipment", "service_surveys",
                          "knowledge", "mail", "telephony", "webhooks"}


# --- Dashboard --------------------------------------------------------------------------------

def test_dashboard_renders_the_registered_tiles(head, manager, client_for):
    page = client_for(head).get(reverse("dashboard")).content.decode()
    keys = re.findall(r'data-testid="tile-([a-z]+)"', page)
    assert keys == ["money", "forecast", "stages", "employees", "risks", "complaints"]
    assert 'data-testid="revenue-today"' in page and 'data-testid="employees"' in page
    assert client_for(head).get("/sales/dashboard/").url == reverse("dashboard")  # old bookmarks
    assert client_for(head).get(reverse("home")).url == reverse("dashboard")


def test_a_tile_with_a_permission_shows_to_its_users_only(head, manager, client_for):
    tile = dashboard.DashboardTile("probe", "Probe", "core/includes/probe_tile.html",
                                   lambda user, request, now: {}, permission=lambda user: user.role == "company_head")
    dashboard.register_tile(tile, order=1)
    try:
        assert [t.key for t in dashboard.tiles_for(head)][0] == "probe"
        assert "probe" not in [t.key for t in dashboard.tiles_for(manager)]
        assert "probe" not in dashboard.tile_contexts(manager)
    finally:
        registry.dashboard_tiles.unregister("probe")


# --- Card tabs --------------------------------------------------------------------------------

def test_client_card_shows_the_registered_tabs(manager, client_for):
    cp = CounterpartyFactory(main_manager=manager, is_supplier=False)
    html = client_for(manager).get(cp.get_absolute_url() + "?tab=deals").content.decode()
    tabs = re.findall(r'data-bs-target="#tab-([a-z]+)"', html)
    assert tabs == ["main", "properties", "interactions", "deals", "orders", "documents", "persons",
                    "groups", "sms", "complaints", "equipment", "attachments", "history"]
    assert 'data-testid="deals-tab"' in html
    # The active tab loads at once, the others when scrolled into view.
    assert f'hx-get="{reverse("sales:card_deals", args=[cp.pk])}" hx-trigger="load"' in html
    assert f'hx-get="{reverse("sales:card_orders", args=[cp.pk])}" hx-trigger="intersect once"' in html
    assert client_for(manager).get(reverse("sales:card_deals", args=[cp.pk])).status_code == 200
    supplier = CounterpartyFactory(main_manager=manager, is_supplier=True)
    assert "supplier" in [t.tab.key for t in tabs_for(COUNTERPARTY, manager, supplier)]
    assert [t.tab.key for t in tabs_for(COUNTERPARTY, manager, supplier) if t.active] == ["main"]


# --- Navigation -------------------------------------------------------------------------------

def nav(html):
    """{menu testid: [entry hrefs]} of the navigation bar."""
    bar = html[html.index('<ul class="navbar-nav'):html.index('role="search"')]
    menus = {}
    for testid, body in re.findall(r'data-testid="([a-z]+-menu)">.*?<ul class="dropdown-menu">(.*?)</ul>', bar, re.S):
        menus[testid] = re.findall(r'class="dropdown-item" href="([^"]+)"', body)
    return menus


def test_navigation_menus_by_role(manager, admin_user, quality, client_for):
    page = client_for(manager).get(reverse("clients:counterparty_list")).content.decode()
    menus = nav(page)
    assert list(menus) == ["clients-menu", "activities-menu", "sales-menu", "marketing-menu", "service-menu",
                           "reports-menu"]  # no Settings
    assert reverse("sales:board_default") in menus["sales-menu"] and reverse("sales:order_list") in menus["sales-menu"]
    assert 'data-testid="nav-deals"' in page and reverse("trash") in page
    admin = nav(client_for(admin_user).get(reverse("clients:counterparty_list")).content.decode())
    assert list(admin) == ["clients-menu", "activities-menu", "sales-menu", "marketing-menu", "service-menu",
                           "reports-menu", "settings-menu"]
    assert reverse("sales:pipeline_list") in admin["settings-menu"] and reverse("api-docs") in admin["settings-menu"]
    assert "settings-menu" not in nav(client_for(quality).get(reverse("clients:counterparty_list")).content.decode())


def test_the_kept_bar_follows_role_language_and_registry(manager, client_for):
    """The bar's HTML is kept per set of entries drawn: a role, a language or a registration shows."""
    url = reverse("clients:counterparty_list")
    assert "settings-menu" not in nav(client_for(manager).get(url).content.decode())
    manager.role = Role.ADMIN
    manager.save()
    assert "settings-menu" in nav(client_for(manager).get(url).content.decode())
    english = client_for(manager).get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    russian = client_for(manager).get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert ">Clients</a>" in english and ">Клиенты</a>" in russian
    item = navigation.NavItem(navigation.CLIENTS, "<b>Новое</b> & старое", "trash", section="zz", testid="nav-x")
    navigation.register_item("test:escaped", item, order=999)
    try:
        bar = client_for(manager).get(url).content.decode()
        menus = nav(bar)
        assert menus["clients-menu"][-1] == reverse("trash")
        assert 'data-testid="nav-x">&lt;b&gt;Новое&lt;/b&gt; &amp; старое</a>' in bar
        divider = '<li><hr class="dropdown-divider"></li>'
        assert divider + '<li><a class="dropdown-item" href="/trash/" data-testid="nav-x">' in bar  # set apart
    finally:
        registry.navigation.unregister("test:escaped")
    assert 'data-testid="nav-x"' not in client_for(manager).get(url).content.decode()


def test_every_link_of_the_old_bar_is_still_there(admin_user, client_for):
    menus = nav(client_for(admin_user).get(reverse("clients:counterparty_list")).content.decode())
    links = {href for hrefs in menus.values() for href in hrefs}
    names = [
        "clients:counterparty_list", "clients:person_list", "activities:interaction_list", "sales:board_default",
        "dashboard", "sales:deal_list", "sales:order_list", "sales:order_analysis", "activities:task_list",
        "activities:calendar", "reports", "clients:property_list", "clients:group_list",
        "clients:reltype_list", "clients:region_list", "clients:industry_list", "activities:type_list",
        "sales:pipeline_list", "sales:rule_list", "sales:lostreason_list", "sales:failurereason_list",
        "sales:leadsource_list", "sales:template_list", "admin:core_user_changelist", "api-docs"]
    assert {reverse(name) for name in names} <= links
    assert {report.get_url() for report in registry.reports} <= links  # every report, from its registry
    for href in links:
        assert client_for(admin_user).get(href, follow=True).status_code == 200, href


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_bar_fits_one_row_at_1280_px_in_russian(page, log_in, admin_user):
    """The admin gets every menu; in Russian (the longest labels) at 1280 px they stay on one row."""
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(admin_user.username)
    page.goto("/clients/")
    page.get_by_test_id("user-menu").click()  # the language switch is in the user menu
    page.locator(".lang-switch button[value=ru]").click()
    page.wait_for_function("() => document.documentElement.lang === 'ru'")
    tops = page.evaluate("""() => [...document.querySelectorAll(
        '#nav > ul > li, #nav > form, #nav > span, #nav > div, #nav > a')].map(e => {
            const r = e.getBoundingClientRect(); return Math.round(r.top + r.height / 2); })""")
    assert len(tops) >= 8 and max(tops) - min(tops) <= 4, tops
    page.get_by_test_id("settings-menu").click()
    assert page.get_by_role("link", name="Пользователи и роли").is_visible()
