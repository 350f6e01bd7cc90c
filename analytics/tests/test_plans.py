"""Sales plans: CRUD by heads, read-only for managers, the unique month, plan vs actual, the tile."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from analytics.models import SalesPlan
from analytics.services import plans
from analytics.tests.factories import SalesPlanFactory
from analytics.tests.test_kpi import NOW, build
from core.dashboard import tile_contexts

FEB, MAR = dt.date(2025, 2, 1), dt.date(2025, 3, 1)


@pytest.fixture
def world(db, manager, teammate):
    with time_machine.travel(NOW, tick=False):
        yield build(manager, teammate)


def form_data(plan=None, **kw):
    data = {"manager": plan.manager_id if plan else "", "month": plan.month.isoformat() if plan else "",
            "revenue": "500", "currency": "RUB", "new_clients": "1", "contacts": "5"}
    if plan:
        data["version"] = plan.version
    return {**data, **kw}


def test_plan_vs_actual_per_month(world):
    a, c = world["a"], world["c"]
    facts = plans.plan_vs_actual([FEB])
    anna = facts[a.pk]
    assert anna.plan == {"revenue": Decimal("600.00"), "new_clients": 2, "contacts": 4}
    assert anna.actual == {"revenue": Decimal("300.00"), "new_clients": 1, "contacts": 3}
    assert (anna.done("revenue"), anna.done("new_clients"), anna.done("contacts")) == (
        Decimal("50.00"), Decimal("50.00"), Decimal("75.00"))
    assert facts[c.pk].done("revenue") == Decimal("0.00")
    assert facts[world["b"].pk].planned is False and facts[world["b"].pk].done("revenue") is None
    # by month: March has the 01.03 shipment (1 × 100), the 01.03 00:30 contact and a2 (created "now", 15.03)
    actual = plans.actuals([FEB, MAR], "RUB", [a.pk])
    assert actual[(a.pk, MAR)] == {"revenue": Decimal("100.00"), "new_clients": 1, "contacts": 1}


def test_tile_manager_own_plan_head_company(world, manager, head):
    with time_machine.travel(NOW, tick=False):
        mine = tile_contexts(manager)["sales_plan"]
        company = tile_contexts(head)["sales_plan"]
    assert mine["plan_month"] == MAR and not mine["plan_company"]
    revenue = {m["key"]: m for m in mine["plan_metrics"]}["revenue"]
    assert (revenue["plan"], revenue["actual"], revenue["done"]) == (100, 100, Decimal("100.00"))
    contacts = {m["key"]: m for m in mine["plan_metrics"]}["contacts"]
    assert (contacts["plan"], contacts["actual"], contacts["done"]) == (2, 1, Decimal("50.00"))
    # The company: March plans of Anna (100) and Boris (200) against their actual revenue (100 + 0).
    revenue = {m["key"]: m for m in company["plan_metrics"]}["revenue"]
    assert (revenue["plan"], revenue["actual"], revenue["done"]) == (300, 100, Decimal("33.33"))


def test_tile_renders(world, manager, client_for):
    with time_machine.travel(NOW, tick=False):
        resp = client_for(manager).get(reverse("dashboard"))
    assert resp.status_code == 200
    assert 'data-testid="plan-tile"' in resp.content.decode()


def test_head_adds_edits_deletes_and_sees_history(db, head, manager, client_for):
    c = client_for(head)
    resp = c.post(reverse("analytics:plan_add"), form_data(manager=manager.pk, month="2025-04-17"))
    assert resp.status_code == 302, resp.content.decode()[:500]
    plan = SalesPlan.objects.get()
    assert plan.month == dt.date(2025, 4, 1) and plan.manager == manager
    resp = c.post(reverse("analytics:plan_edit", args=[plan.pk]), form_data(plan, revenue="750"))
    assert resp.status_code == 302
    plan.refresh_from_db()
    assert plan.revenue == 750
    history = c.get(reverse("analytics:plan_history", args=[plan.pk]))
    assert history.status_code == 200 and "750" in history.content.decode()
    assert c.post(reverse("analytics:plan_delete", args=[plan.pk])).status_code == 302
    assert SalesPlan.all_objects.get(pk=plan.pk).is_deleted


def test_second_plan_for_the_month_names_the_field(db, head, manager, client_for):
    SalesPlanFactory(manager=manager, month=dt.date(2025, 4, 1))
    resp = client_for(head).post(reverse("analytics:plan_add"), form_data(manager=manager.pk, month="2025-04-20"))
    assert resp.status_code == 400
    assert "month" in resp.context["form"].errors
    assert "already has a plan" in resp.context["form"].errors["month"][0]


def test_manager_reads_own_plans_but_may_not_change_them(db, manager, teammate, client_for):
    mine = SalesPlanFactory(manager=manager, month=dt.date(2025, 4, 1), revenue=12345)
    theirs = SalesPlanFactory(manager=teammate, month=dt.date(2025, 4, 1), revenue=54321)
    c = client_for(manager)
    listing = c.get(reverse("analytics:plan_list")).content.decode()
    assert "12345" in listing and "54321" not in listing
    assert 'data-testid="add"' not in listing
    assert c.get(reverse("analytics:plan_add")).status_code == 403
    assert c.post(reverse("analytics:plan_add"), form_data(manager=manager.pk, month="2025-05-01")).status_code == 403
    assert c.post(reverse("analytics:plan_edit", args=[mine.pk]), form_data(mine, revenue="1")).status_code == 404
    assert c.post(reverse("analytics:plan_delete", args=[mine.pk])).status_code == 404
    assert c.get(reverse("analytics:plan_history", args=[mine.pk])).status_code == 200
    assert c.get(reverse("analytics:plan_history", args=[theirs.pk])).status_code == 404
    mine.refresh_from_db()
    assert mine.revenue == 12345 and not mine.is_deleted and SalesPlan.objects.count() == 2


def test_list_filters_by_manager_and_month(db, head, manager, teammate, client_for):
    SalesPlanFactory(manager=manager, month=dt.date(2025, 4, 1), revenue=11111)
    SalesPlanFactory(manager=teammate, month=dt.date(2025, 4, 1), revenue=22222)
    SalesPlanFactory(manager=manager, month=dt.date(2025, 5, 1), revenue=33333)
    c = client_for(head)
    text = c.get(reverse("analytics:plan_list"), {"manager": manager.pk, "month": "2025-04-15"}).content.decode()
    assert "11111" in text and "22222" not in text and "33333" not in text


def test_plans_in_the_reports_menu(db, head, client_for):
    text = client_for(head).get(reverse("analytics:plan_list")).content.decode()
    assert 'data-testid="nav-plans"' in text
