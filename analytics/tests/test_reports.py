"""The analytics reports (ABC, XYZ / stages, purchase dynamics) on hand-built runs: figures, arrows,
overrides, the Pareto chart, exports, and access — a manager sees their clients only, everywhere."""

import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from analytics.models import AnalysisRun, ClientAnalysis
from analytics.tests.factories import AnalysisRunFactory, ClientAnalysisFactory
from analytics.views import reports
from clients.models import Counterparty
from clients.tests.factories import CounterpartyFactory
from sales.models import Order
from sales.tests.factories import OrderFactory, OrderLineFactory, ShipmentFactory

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime.datetime(2025, 4, 15, 12, 0, tzinfo=MSK)
FOREIGN = "Zulu"


def url(slug):
    return reverse("report", args=[slug])


def body_rows(table):
    return [r for r in table.rows if r.get("_level") != "total"]


def by(rows, key):
    return {str(r[key]): r for r in rows}


@pytest.fixture
def runs(manager, teammate):
    """Two runs; the current one: Alpha 1 (A, was B), Alpha 2 (B overridden to A, was A), Alpha 3 (no
    sales, new), Zulu 1 (the teammate's, B)."""
    alpha1 = CounterpartyFactory(name="Alpha 1", main_manager=manager)
    alpha2 = CounterpartyFactory(name="Alpha 2", main_manager=manager)
    alpha3 = CounterpartyFactory(name="Alpha 3", main_manager=manager)
    zulu = CounterpartyFactory(name=f"{FOREIGN} 1", main_manager=teammate)
    earlier = timezone.now() - datetime.timedelta(days=30)
    prev = AnalysisRunFactory(analysis_date=datetime.date(2025, 3, 1), finished_at=earlier)
    ClientAnalysisFactory(run=prev, counterparty=alpha1, abc="B", stage="one_time", xyz="")
    ClientAnalysisFactory(run=prev, counterparty=alpha2, abc="A", stage="regular", xyz="Y")
    ClientAnalysisFactory(run=prev, counterparty=zulu, abc="B", stage="regular", xyz="Z")
    run = AnalysisRunFactory(analysis_date=datetime.date(2025, 4, 1), previous=prev,
                             params={"a_threshold": 80, "b_threshold": 95}, total=Decimal("1000"))
    row = dict(run=run)
    ClientAnalysisFactory(**row, counterparty=alpha1, revenue=700, profit=300, measure=700, share=70,
                          share_before=0, rank=1, abc="A", stage="regular", xyz="X",
                          abc_prev="B", stage_prev="one_time", xyz_prev="")
    ClientAnalysisFactory(**row, counterparty=alpha2, revenue=200, profit=50, measure=200, share=20,
                          share_before=70, rank=2, abc="B", abc_effective="A", stage="regular", xyz="Y",
                          abc_prev="A", stage_prev="regular", xyz_prev="Y")
    ClientAnalysisFactory(**row, counterparty=alpha3, stage="potential")
    ClientAnalysisFactory(**row, counterparty=zulu, revenue=100, profit=10, measure=100, share=10,
                          share_before=90, rank=3, abc="B", stage="lost", xyz="Z",
                          abc_prev="B", stage_prev="regular", xyz_prev="Z")
    return run


# --- ABC ---------------------------------------------------------------------------------------

def test_abc_summary_and_client_table_for_a_head(sales_head, client_for, runs):
    resp = client_for(sales_head).get(url("abc"))
    assert resp.status_code == 200
    summary, clients = resp.context["tables"]
    classes = by(body_rows(summary), "abc")
    assert (classes["A"]["clients"], classes["A"]["measure"], classes["A"]["share"]) == (2, Decimal("900"),
                                                                                          Decimal("90"))
    assert (classes["B"]["clients"], classes["B"]["share"]) == (1, Decimal("10"))
    assert classes["No class"]["clients"] == 1
    assert summary.rows[-1]["clients"] == 4 and summary.rows[-1]["measure"] == Decimal("1000")
    rows = body_rows(clients)
    assert [r["client"] for r in rows] == ["Alpha 1", "Alpha 2", "Zulu 1", "Alpha 3"]  # by place, unranked last
    alpha1, alpha2, zulu, alpha3 = rows
    assert (alpha1["rank"], alpha1["cumulative"], alpha1["effective"], alpha1["arrow"]) == (1, 70, "A", "↑")
    assert (alpha2["computed"], alpha2["effective"], alpha2["arrow"]) == ("B", "A (override)", "=")
    assert (zulu["cumulative"], zulu["arrow"]) == (100, "=")
    assert (alpha3["computed"], alpha3["arrow"]) == ("—", "new")
    assert clients.rows[-1]["revenue"] == Decimal("1000")


def test_abc_manager_sees_only_their_clients_and_totals_over_them(manager, client_for, runs):
    c = client_for(manager)
    resp = c.get(url("abc"))
    assert FOREIGN not in resp.content.decode()
    summary, clients = resp.context["tables"]
    classes = by(body_rows(summary), "abc")
    assert (classes["A"]["clients"], classes["A"]["share"], classes["B"]["clients"]) == (2, Decimal("100"), 0)
    assert summary.rows[-1]["measure"] == Decimal("900")
    assert [r["client"] for r in body_rows(clients)] == ["Alpha 1", "Alpha 2", "Alpha 3"]
    for export in ("xlsx", "pdf"):
        got = c.get(url("abc"), {"export": export})
        assert got.status_code == 200
        text = xlsx_text(got) if export == "xlsx" else pdf_text(got)
        assert "Alpha 1" in text and FOREIGN not in text


def xlsx_text(resp):
    sheet = load_workbook(io.BytesIO(resp.content)).active
    return str([v for row in sheet.iter_rows(values_only=True) for v in row if v is not None])


def pdf_text(resp):
    assert resp["Content-Type"] == "application/pdf"
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(resp.content)).pages).split())


def test_abc_pareto_chart_bars_cumulative_line_and_thresholds(sales_head, client_for, runs, monkeypatch):
    chart = client_for(sales_head).get(url("abc")).context["charts"][0]["spec"]
    assert chart["labels"] == ["Alpha 1", "Alpha 2", "Zulu 1"]
    bars, line, a, b = chart["datasets"]
    assert bars["data"] == [700.0, 200.0, 100.0]
    assert line["yAxisID"] == "y2" and line["type"] == "line" and line["data"] == [70.0, 90.0, 100.0]
    assert a["data"] == [80.0] * 3 and b["data"] == [95.0] * 3
    assert chart["y2"]["max"] == 100 and chart["money"] == "RUB"
    monkeypatch.setattr(reports, "PARETO_TOP", 1)  # the rest: one "Others" bar
    chart = client_for(sales_head).get(url("abc")).context["charts"][0]["spec"]
    assert chart["labels"] == ["Alpha 1", "Others"] and chart["datasets"][0]["data"] == [700.0, 300.0]


def test_abc_filters_by_manager_class_and_run(sales_head, manager, client_for, runs):
    c = client_for(sales_head)
    names = lambda resp: [r["client"] for r in body_rows(resp.context["tables"][1])]  # noqa: E731
    assert names(c.get(url("abc"), {"run": runs.pk, "main_manager": manager.pk})) == ["Alpha 1", "Alpha 2",
                                                                                       "Alpha 3"]
    assert names(c.get(url("abc"), {"run": runs.pk, "abc": "B"})) == ["Zulu 1"]
    assert names(c.get(url("abc"), {"run": runs.pk, "abc": "none"})) == ["Alpha 3"]
    assert len(names(c.get(url("abc"), {"run": runs.previous_id}))) == 3
    assert c.get(url("abc"), {"run": "abc"}).status_code == 400


def test_abc_without_a_run_says_so(manager, client_for):
    resp = client_for(manager).get(url("abc"))
    assert resp.status_code == 200 and 'data-testid="no-run"' in resp.content.decode()


def test_abc_page_of_a_large_run_reads_one_page_in_few_queries(sales_head, client_for,
                                                              django_assert_max_num_queries):
    run = AnalysisRunFactory()
    clients = Counterparty.objects.bulk_create([Counterparty(name=f"Client {i:04}") for i in range(450)])
    ClientAnalysis.objects.bulk_create([
        ClientAnalysis(run=run, counterparty=cp, measure=1000 - i, revenue=1000 - i, share=Decimal("0.2"),
                       share_before=Decimal("0.2") * i, rank=i + 1, abc="A" if i < 300 else "B",
                       abc_effective="A" if i < 300 else "B", stage="regular", stage_effective="regular")
        for i, cp in enumerate(clients)])
    c = client_for(sales_head)
    c.get(url("abc"))  # the preference row exists: the measured visit is a steady one
    with django_assert_max_num_queries(14):
        resp = c.get(url("abc"), {"run": run.pk, "page": 2})
    table = resp.context["tables"][1]
    assert len(body_rows(table)) == 100 and body_rows(table)[0]["rank"] == 101
    assert table.page.paginator.count == 450
    assert resp.context["tables"][0].rows[-1]["clients"] == 450


# --- XYZ and stages ----------------------------------------------------------------------------

def test_xyz_stages_matrices_and_transitions(sales_head, client_for, runs):
    resp = client_for(sales_head).get(url("xyz-stages"))
    assert resp.status_code == 200
    stage, xyz, moves, transitions = resp.context["tables"]
    stages = by(body_rows(stage), "stage")
    assert stages["Regular"]["count"] == {"A": 2} and stages["Regular"]["revenue"] == {"A": Decimal("900")}
    assert stages["Lost"]["count"] == {"B": 1} and stages["Potential"]["count"] == {"none": 1}
    assert stage.rows[-1]["clients"] == 4
    classes = by(body_rows(xyz), "xyz")
    assert classes["X"]["count"] == {"A": 1} and classes["Z"]["count"] == {"B": 1}
    assert classes["No class"]["count"] == {"none": 1}
    previous = by(body_rows(moves), "previous")
    assert previous["One-time"]["count"] == {"regular": 1}
    assert previous["Regular"]["count"] == {"regular": 1, "lost": 1} and previous["new"]["count"] == {"potential": 1}
    rows = by(body_rows(transitions), "client")
    assert set(rows) == {"Alpha 1", "Zulu 1"}  # Alpha 2 kept its effective values; Alpha 3 is new
    assert rows["Alpha 1"]["abc"] == "B → A" and rows["Alpha 1"]["stage"] == "One-time → Regular"
    assert rows["Alpha 1"]["xyz"] == "— → X" and rows["Zulu 1"]["stage"] == "Regular → Lost"
    chart = resp.context["charts"][0]["spec"]
    assert chart["stacked"] and chart["labels"][:2] == ["Potential", "One-time"]


def test_xyz_stages_manager_sees_only_their_clients(manager, client_for, runs):
    c = client_for(manager)
    resp = c.get(url("xyz-stages"))
    assert FOREIGN not in resp.content.decode()
    stage = resp.context["tables"][0]
    assert stage.rows[-1]["clients"] == 3
    assert [r["client"] for r in body_rows(resp.context["tables"][3])] == ["Alpha 1"]
    assert FOREIGN not in xlsx_text(c.get(url("xyz-stages"), {"export": "xlsx"}))
    assert FOREIGN not in pdf_text(c.get(url("xyz-stages"), {"export": "pdf"}))


# --- Purchase dynamics -------------------------------------------------------------------------

@pytest.fixture
def purchases(manager, teammate):
    """Alpha's orders around the period Jan–Mar 2025 (amounts: quantity × price; cost 60 a unit)."""
    with time_machine.travel(NOW, tick=False):
        alpha = CounterpartyFactory(name="Alpha Trading", main_manager=manager)
        zulu = CounterpartyFactory(name=f"{FOREIGN} Trading", main_manager=teammate)

        def ship(date, quantity=1, price=100, order=None, kind="actual", **order_kw):
            order = order or OrderFactory(counterparty=alpha, responsible=manager, **order_kw)
            line = OrderLineFactory(order=order, price=price, cost=60, quantity=quantity)
            return ShipmentFactory(line=line, date=date, quantity=quantity, kind=kind)

        first = ship(datetime.date(2025, 1, 10), quantity=2)  # Jan: 200, a purchase
        ship(datetime.date(2025, 2, 5), order=first.order)  # Feb: 100 more of the same order, no new purchase
        ship(datetime.date(2025, 2, 20), price=300)  # Feb: 300 (profit 240), a purchase
        before = ship(datetime.date(2024, 12, 30))  # first shipment before the period …
        ship(datetime.date(2025, 3, 3), order=before.order)  # … its March shipment counts, no purchase
        ship(datetime.date(2025, 3, 10), kind="planned")  # not actual
        ship(datetime.date(2025, 3, 11), state=Order.State.DRAFT)
        ship(datetime.date(2025, 3, 12), state=Order.State.FAILED)
        ship(datetime.date(2025, 3, 13), currency="USD")  # another currency: left out, noted
        trashed = ship(datetime.date(2025, 3, 14))
        type(trashed).all_objects.filter(pk=trashed.pk).update(deleted_at=timezone.now())
        gone = ship(datetime.date(2025, 3, 15))
        Order.all_objects.filter(pk=gone.order_id).update(deleted_at=timezone.now())
        line_gone = ship(datetime.date(2025, 3, 16))  # its line in the trash
        type(line_gone.line).all_objects.filter(pk=line_gone.line_id).update(deleted_at=timezone.now())
        OrderFactory(counterparty=zulu, responsible=teammate)
        yield alpha, zulu


PERIOD = {"date_from": "2025-01-01", "date_to": "2025-03-31"}


def test_purchase_dynamics_by_month(manager, client_for, purchases, runs):
    alpha, _zulu = purchases
    ClientAnalysisFactory(run=runs, counterparty=alpha, abc="C", stage="regular", xyz="Z", revenue=600,
                          abc_prev="B", stage_prev="regular", xyz_prev="Z")
    with time_machine.travel(NOW, tick=False):
        resp = client_for(manager).get(url("purchase-dynamics"), {**PERIOD, "client": alpha.pk})
    assert resp.status_code == 200
    months, classes = resp.context["tables"]
    rows = body_rows(months)
    assert [(r["revenue"], r["profit"], r["purchases"]) for r in rows] == [
        (Decimal("200.00"), Decimal("80.00"), 1), (Decimal("400.00"), Decimal("280.00"), 1),
        (Decimal("100.00"), Decimal("40.00"), 0)]
    assert months.rows[-1]["revenue"] == Decimal("700.00") and months.rows[-1]["profit"] == Decimal("400.00")
    assert months.rows[-1]["purchases"] == 2
    assert 'data-testid="currency-note"' in resp.content.decode()
    assert [(r["date"], r["abc"], r["stage"]) for r in body_rows(classes)] == [
        (datetime.date(2025, 4, 1), "B → C", "Regular")]
    chart = resp.context["charts"][0]["spec"]
    assert chart["datasets"][0]["data"] == [200.0, 400.0, 100.0] and chart["datasets"][2]["yAxisID"] == "y2"


def test_purchase_dynamics_of_a_teammates_client_is_refused(manager, client_for, purchases):
    _alpha, zulu = purchases
    c = client_for(manager)
    for export in ("", "xlsx", "pdf"):
        resp = c.get(url("purchase-dynamics"), {**PERIOD, "client": zulu.pk, "export": export})
        assert resp.status_code == 400 and 'data-field="client"' in resp.content.decode()
        assert FOREIGN not in resp.content.decode()


def test_purchase_dynamics_exports(manager, client_for, purchases):
    alpha, _zulu = purchases
    c = client_for(manager)
    with time_machine.travel(NOW, tick=False):
        xlsx = xlsx_text(c.get(url("purchase-dynamics"), {**PERIOD, "client": alpha.pk, "export": "xlsx"}))
        pdf = pdf_text(c.get(url("purchase-dynamics"), {**PERIOD, "client": alpha.pk, "export": "pdf"}))
    assert "700" in xlsx and "Purchase dynamics of a client" in pdf


def test_purchase_dynamics_without_a_client_asks_for_one(manager, client_for):
    resp = client_for(manager).get(url("purchase-dynamics"), PERIOD)
    assert resp.status_code == 200 and 'data-testid="choose-client"' in resp.content.decode()
    assert not resp.context["charts"]


def test_reports_are_listed_in_the_index(manager, client_for):
    html = client_for(manager).get(reverse("reports")).content.decode()
    for slug in ("abc", "xyz-stages", "purchase-dynamics"):
        assert url(slug) in html
    assert AnalysisRun.current() is None
