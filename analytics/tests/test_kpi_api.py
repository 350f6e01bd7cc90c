"""API: /api/manager-indicators/ (restricted like the reports) and /api/sales-plans/ (heads write)."""

import datetime as dt

import pytest
import time_machine

from analytics.models import SalesPlan
from analytics.tests.factories import SalesPlanFactory
from analytics.tests.test_kpi import NOW, build

PARAMS = {"date_from": "2025-02-01", "date_to": "2025-02-28"}


@pytest.fixture
def world(db, manager, teammate):
    with time_machine.travel(NOW, tick=True):
        yield build(manager, teammate)


def test_head_gets_every_manager(world, head, api):
    resp = api(head).get("/api/manager-indicators/", PARAMS)
    assert resp.status_code == 200, resp.content
    data = resp.json()
    assert data["currency"] == "RUB" and data["date_from"] == "2025-02-01"
    results = {r["manager_name"]: r for r in data["results"]}
    assert [(r["place"], r["change"]) for r in data["results"]] == [(1, "↑1"), (2, "↓1"), (3, "new")]
    anna = {i["code"]: i for i in results["Anna Alpha"]["indicators"]}
    assert results["Anna Alpha"]["score"] == "29.44"
    assert (anna["revenue"]["value"], anna["revenue"]["share"]) == ("300.00", "42.86")
    assert (anna["retention"]["value"], anna["retention"]["share"]) == ("50.00", "25.00")


def test_manager_gets_only_their_line(world, manager, api):
    data = api(manager).get("/api/manager-indicators/", PARAMS).json()
    assert [r["manager_name"] for r in data["results"]] == ["Anna Alpha"]
    assert "Boris" not in str(data) and "Clara" not in str(data)


@pytest.mark.parametrize("params, field", [
    ({"date_from": "2025-02-31"}, "date_from"),
    ({"date_to": "garbage"}, "date_to"),
    ({"date_from": "9999-12-31"}, "date_from"),
    ({"date_from": "2025-03-01", "date_to": "2025-02-01"}, "date_to"),
])
def test_bad_dates_are_400_naming_the_field(db, head, api, params, field):
    resp = api(head).get("/api/manager-indicators/", params)
    assert resp.status_code == 400 and field in resp.json()


def test_default_period_is_the_last_full_month(db, head, api):
    with time_machine.travel(NOW, tick=False):
        data = api(head).get("/api/manager-indicators/").json()
    assert (data["date_from"], data["date_to"]) == ("2025-02-01", "2025-02-28")


def test_plans_crud_history_restore_by_heads(db, head, manager, api):
    c = api(head)
    resp = c.post("/api/sales-plans/", {"manager": manager.pk, "month": "2025-04-09", "revenue": "500",
                                        "new_clients": 1, "contacts": 3}, format="json")
    assert resp.status_code == 201, resp.content
    pk = resp.json()["id"]
    assert resp.json()["month"] == "2025-04-01" and resp.json()["currency"] == "RUB"
    resp = c.patch(f"/api/sales-plans/{pk}/", {"version": 1, "revenue": "800"}, format="json")
    assert resp.status_code == 200 and resp.json()["revenue"] == "800.00"
    assert len(c.get(f"/api/sales-plans/{pk}/history/").json()) == 2
    assert c.delete(f"/api/sales-plans/{pk}/").status_code == 204
    assert c.post(f"/api/sales-plans/{pk}/restore/").status_code == 200
    assert not SalesPlan.objects.get(pk=pk).is_deleted


def test_duplicate_plan_is_400_on_month(db, head, manager, api):
    SalesPlanFactory(manager=manager, month=dt.date(2025, 4, 1))
    resp = api(head).post("/api/sales-plans/", {"manager": manager.pk, "month": "2025-04-30", "revenue": "1"},
                          format="json")
    assert resp.status_code == 400 and "month" in resp.json(), resp.content


def test_manager_reads_own_plans_only_and_may_not_write(db, manager, teammate, api):
    mine = SalesPlanFactory(manager=manager, month=dt.date(2025, 4, 1))
    SalesPlanFactory(manager=teammate, month=dt.date(2025, 4, 1))
    c = api(manager)
    assert [p["id"] for p in c.get("/api/sales-plans/").json()["results"]] == [mine.pk]
    assert c.post("/api/sales-plans/", {"manager": manager.pk, "month": "2025-06-01", "revenue": "1"},
                  format="json").status_code == 403
    assert c.patch(f"/api/sales-plans/{mine.pk}/", {"version": mine.version, "revenue": "1"},
                   format="json").status_code == 403
    assert c.delete(f"/api/sales-plans/{mine.pk}/").status_code == 403
    mine.refresh_from_db()
    assert mine.revenue == 100000 and not mine.is_deleted
