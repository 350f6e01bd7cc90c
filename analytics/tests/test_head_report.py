"""The manager-performance and head's reports: figures, plan vs actual, access (page, XLSX, PDF)."""

import io

import pytest
import time_machine
from openpyxl import load_workbook

from analytics.tests.test_kpi import NOW, build

PARAMS = {"date_from": "2025-02-01", "date_to": "2025-02-28"}


@pytest.fixture
def world(db, manager, teammate):
    with time_machine.travel(NOW, tick=True):
        yield build(manager, teammate)


def xlsx_text(resp):
    book = load_workbook(io.BytesIO(resp.content), read_only=True)
    return [list(row) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]


def test_head_report_ranks_with_plan_vs_actual(world, head):
    import datetime as dt

    from analytics.views.kpi import HeadReport

    filters = {"date_from": dt.date(2025, 2, 1), "date_to": dt.date(2025, 2, 28)}
    rows = {r["manager"]: r for r in HeadReport(head, filters).rows(filters, head)}
    assert [(r["place"], r["change"], m) for m, r in rows.items()] == [
        (1, "↑1", "Boris Beta"), (2, "↓1", "Anna Alpha"), (3, "new", "Clara Gamma")]
    anna = rows["Anna Alpha"]
    assert str(anna["score"]) == "29.44" and str(anna["n_revenue"]) == "42.86"
    # Plan of February: revenue 600 → 300 actual (50 %), new clients 2 → 1 (a1, created 10.02), contacts 4 → 3.
    assert (anna["plan_revenue"], anna["actual_revenue"], str(anna["done_revenue"])) == (600, 300, "50.00")
    assert (anna["plan_new_clients"], anna["actual_new_clients"], str(anna["done_new_clients"])) == (2, 1, "50.00")
    assert (anna["plan_contacts"], anna["actual_contacts"], str(anna["done_contacts"])) == (4, 3, "75.00")
    clara = rows["Clara Gamma"]
    assert (clara["plan_revenue"], clara["actual_revenue"], clara["done_revenue"]) == (1000, 0, 0)
    boris = rows["Boris Beta"]
    assert boris["plan_revenue"] is None and boris["done_revenue"] is None and boris["actual_revenue"] == 400


@pytest.mark.parametrize("slug", ["manager-performance", "head-report"])
def test_head_sees_everyone(world, head, client_for, slug):
    c = client_for(head)
    page = c.get(f"/reports/{slug}/", PARAMS)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Anna Alpha" in text and "Boris Beta" in text
    cells = [v for row in xlsx_text(c.get(f"/reports/{slug}/", {**PARAMS, "export": "xlsx"})) for v in row]
    assert "Anna Alpha" in cells and "Boris Beta" in cells


@pytest.mark.parametrize("slug", ["manager-performance", "head-report"])
def test_a_manager_sees_only_their_line_everywhere(world, manager, client_for, slug):
    c = client_for(manager)
    page = c.get(f"/reports/{slug}/", PARAMS)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Anna Alpha" in text
    assert "Boris Beta" not in text and "Clara Gamma" not in text and "Company" not in text
    cells = [v for row in xlsx_text(c.get(f"/reports/{slug}/", {**PARAMS, "export": "xlsx"})) for v in row]
    assert "Anna Alpha" in cells and "Boris Beta" not in cells and "Clara Gamma" not in cells
    assert "Company" not in cells and 700 not in cells  # no company total


def test_performance_company_row_for_heads(world, head, client_for):
    cells = [row for row in xlsx_text(client_for(head).get("/reports/manager-performance/",
                                                           {**PARAMS, "export": "xlsx"}))]
    company = next(row for row in cells if row and row[0] == "Company")
    assert 700 in company and 4 in company  # revenue and contacts of the company


def test_default_period_is_the_last_full_month(world, head, client_for):
    resp = client_for(head).get("/reports/head-report/")
    assert resp.status_code == 200
    assert resp.context["form"].cleaned_data["date_from"].isoformat() == "2025-02-01"
    assert resp.context["form"].cleaned_data["date_to"].isoformat() == "2025-02-28"


def test_bad_dates_are_400_naming_the_field(world, head, client_for):
    resp = client_for(head).get("/reports/head-report/", {"date_from": "2025-02-31", "date_to": "2025-02-28"})
    assert resp.status_code == 400 and resp.context["form"].errors.get("date_from")
