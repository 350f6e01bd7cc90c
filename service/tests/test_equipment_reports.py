"""Service reports against hand-computed rows: visits planned vs done, equipment by warranty and
service contract (a fixed clock: 15 April 2026, Moscow time)."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from clients.tests.factories import CounterpartyFactory
from service.equipment_reports import VisitsReport, WarrantyReport
from service.models import ServiceVisit

from .equipment_factories import make_contract, make_equipment, make_visit

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")
NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=MSK)
DONE, PLANNED, CANCELLED = ServiceVisit.State.DONE, ServiceVisit.State.PLANNED, ServiceVisit.State.CANCELLED


def at(*args):
    return dt.datetime(*args, tzinfo=MSK)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def clients(manager, teammate):
    return (CounterpartyFactory(name="Cafe Mine", main_manager=manager),
            CounterpartyFactory(name="Bakery Other", main_manager=teammate))


# --- Service visits: planned vs done ------------------------------------------------------------

@pytest.fixture
def visits(clients, service, clock):
    mine, other = clients
    unit, theirs = make_equipment(mine, serial_number="SN-MINE"), make_equipment(other, serial_number="SN-OTHER")

    def visit(equipment, start, end=None, state=PLANNED, done_at=None, engineer=service):
        return make_visit(equipment, planned_start=start, planned_end=end, state=state, done_at=done_at,
                          engineer=engineer)

    visit(unit, at(2026, 3, 2, 10), at(2026, 3, 2, 12), DONE, at(2026, 3, 2, 15))  # on time
    visit(unit, at(2026, 3, 10, 10), at(2026, 3, 10, 12), DONE, at(2026, 3, 12, 9))  # late
    visit(theirs, at(2026, 3, 20, 10))  # overdue: planned, its day is past
    visit(theirs, at(2026, 4, 15, 9), at(2026, 4, 15, 11), engineer=None)  # today: not overdue yet
    visit(unit, at(2026, 4, 5, 10), state=CANCELLED)
    # Starts on 31 March (March), ends after midnight: due on 1 April, done that morning — on time
    visit(unit, at(2026, 3, 31, 23, 30), at(2026, 4, 1, 0, 30), DONE, at(2026, 4, 1, 10))
    # Done at 01:00 the next local day (still the planned day in UTC): late
    visit(unit, at(2026, 4, 10, 10), None, DONE, at(2026, 4, 11, 1))
    visit(unit, at(2025, 12, 1, 10), None, DONE, at(2025, 12, 1, 12))  # outside the period


PERIOD = {"date_from": dt.date(2026, 1, 1), "date_to": dt.date(2026, 6, 30)}
FIELDS = ("group", "planned", "done", "on_time", "overdue", "cancelled", "done_share", "on_time_share")


def visit_table(user, by):
    return [tuple(r[k] for k in FIELDS) for r in VisitsReport(user, {**PERIOD, "by": by}).rows({**PERIOD, "by": by},
                                                                                                  user)]


def test_visits_by_engineer(visits, head, service):
    assert visit_table(head, "engineer") == [
        (str(service), 6, 4, 2, 1, 1, 80.0, 50.0),
        ("— nobody —", 1, 0, 0, 0, 0, 0.0, None),
        ("Total", 7, 4, 2, 1, 1, 66.7, 50.0),
    ]


def test_visits_by_month_in_local_time(visits, head):
    assert visit_table(head, "month") == [
        ("March 2026", 4, 3, 2, 1, 0, 75.0, 66.7),
        ("April 2026", 3, 1, 0, 0, 1, 50.0, 0.0),
        ("Total", 7, 4, 2, 1, 1, 66.7, 50.0),
    ]


def test_a_manager_counts_only_their_clients_visits(visits, manager, service, client_for):
    assert visit_table(manager, "client") == [("Cafe Mine", 5, 4, 2, 0, 1, 100.0, 50.0),
                                              ("Total", 5, 4, 2, 0, 1, 100.0, 50.0)]
    assert visit_table(manager, "engineer") == [(str(service), 5, 4, 2, 0, 1, 100.0, 50.0),
                                                ("Total", 5, 4, 2, 0, 1, 100.0, 50.0)]
    page = client_for(manager).get(reverse("report", args=["service-visits"]),
                                   {"date_from": "2026-01-01", "date_to": "2026-06-30", "by": "client"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Cafe Mine" in html and "Bakery Other" not in html


def test_a_service_engineer_counts_every_client(visits, service):
    assert [r[0] for r in visit_table(service, "client")] == ["Bakery Other", "Cafe Mine", "Total"]


def test_visits_page_chart_and_files(visits, head, client_for):
    c = client_for(head)
    params = {"date_from": "2026-01-01", "date_to": "2026-06-30", "by": "month"}
    page = c.get(reverse("report", args=["service-visits"]), params)
    assert page.status_code == 200
    chart = page.context["charts"][0]["spec"]
    assert chart["labels"] == ["March 2026", "April 2026"]
    assert [d["data"] for d in chart["datasets"]] == [[4, 3], [3, 1], [2, 0], [1, 0]]
    sheet = xlsx_rows(c, "service-visits", params)
    assert sheet[0] == ["Group", "Planned", "Done", "Done on time", "Overdue", "Cancelled", "Done, %", "On time, %"]
    assert sheet[1] == ["March 2026", 4, 3, 2, 1, 0, 75, 66.7]
    assert sheet[-1] == ["Total", 7, 4, 2, 1, 1, 66.7, 50]
    text = pdf_text(c, "service-visits", params)
    assert "Service visits: planned and done" in text and "March 2026" in text


# --- Equipment by warranty and contract ---------------------------------------------------------

@pytest.fixture
def units(clients, clock):
    mine, other = clients
    c1 = make_contract(mine, number="SC-JUNE", end=dt.date(2026, 6, 30))
    c2 = make_contract(mine, number="SC-ENDED", end=dt.date(2026, 3, 31))
    c3 = make_contract(other, number="SC-OTHER", end=dt.date(2026, 12, 31))
    c4 = make_contract(mine, number="SC-TRASHED", end=dt.date(2026, 5, 15))
    make_equipment(mine, serial_number="U1", warranty_until=dt.date(2026, 4, 20), contract=c1)
    make_equipment(mine, serial_number="U2", warranty_until=dt.date(2026, 6, 10), contract=c1)
    make_equipment(mine, serial_number="U3", warranty_until=dt.date(2027, 1, 10), contract=c2)
    make_equipment(other, serial_number="U4", warranty_until=dt.date(2026, 5, 5), contract=c3)
    make_equipment(mine, serial_number="U5", installed_on=dt.date(2025, 1, 10), warranty_until=dt.date(2025, 12, 31))
    make_equipment(mine, serial_number="U6", warranty_until=None, contract=c4)
    make_equipment(mine, serial_number="U7", warranty_until=dt.date(2026, 5, 1)).delete()  # in the trash
    c4.delete()


WINDOW = {"date_from": dt.date(2026, 4, 1), "date_to": dt.date(2026, 9, 30), "ended": False}


def warranty_tables(user, **filters):
    months, listed = WarrantyReport(user, {**WINDOW, **filters}).get_tables()
    return ([(r["month"], r["warranty"], r["contract"], r["contracts"]) for r in months.export_rows()],
            [(r["serial_number"], r["warranty_until"], r["contract"], r["contract_until"])
             for r in listed.export_rows()])


def test_units_by_the_end_of_warranty_and_contract(units, head):
    months, listed = warranty_tables(head)
    assert months == [("April 2026", 1, 0, 0), ("May 2026", 1, 0, 0), ("June 2026", 1, 2, 1), ("Total", 3, 2, 1)]
    assert listed == [("U1", dt.date(2026, 4, 20), "SC-JUNE", dt.date(2026, 6, 30)),
                      ("U4", dt.date(2026, 5, 5), "SC-OTHER", dt.date(2026, 12, 31)),
                      ("U2", dt.date(2026, 6, 10), "SC-JUNE", dt.date(2026, 6, 30))]


def test_already_ended_units_come_first(units, head):
    months, listed = warranty_tables(head, ended=True)
    assert months[0][0].startswith("Ended before") and months[0][1:] == (1, 1, 1)  # U5's warranty, U3's contract
    assert months[1:] == [("April 2026", 1, 0, 0), ("May 2026", 1, 0, 0), ("June 2026", 1, 2, 1),
                          ("Total", 4, 3, 2)]
    assert [r[0] for r in listed] == ["U5", "U3", "U1", "U4", "U2"]


def test_a_manager_sees_only_their_clients_units(units, manager, client_for):
    months, listed = warranty_tables(manager)
    assert months == [("April 2026", 1, 0, 0), ("June 2026", 1, 2, 1), ("Total", 2, 2, 1)]
    assert [r[0] for r in listed] == ["U1", "U2"]
    c = client_for(manager)
    params = {"date_from": "2026-04-01", "date_to": "2026-09-30"}
    html = c.get(reverse("report", args=["equipment-warranty"]), params).content.decode()
    assert ">U1<" in html and ">U4<" not in html and "SC-OTHER" not in html and "Bakery Other" not in html
    assert "U4" not in str(xlsx_rows(c, "equipment-warranty", params))


def test_warranty_report_opens_on_the_next_12_months(units, head, client_for):
    form = client_for(head).get(reverse("report", args=["equipment-warranty"])).context["form"]
    assert (form.cleaned_data["date_from"], form.cleaned_data["date_to"]) == (dt.date(2026, 4, 1),
                                                                              dt.date(2027, 3, 31))


def test_warranty_files(units, head, client_for):
    c = client_for(head)
    params = {"date_from": "2026-04-01", "date_to": "2026-09-30", "ended": "on"}
    rows = xlsx_rows(c, "equipment-warranty", params)
    header = ["Client", "Equipment", "Serial number", "Warranty until", "Service contract", "Contract until"]
    assert rows[rows.index(header) + 1] == ["Cafe Mine", "Холодильная камера КХ-2", "U5", dt.datetime(2025, 12, 31)]
    assert ["Total", 4, 3, 2] in rows
    text = pdf_text(c, "equipment-warranty", params)
    assert "Equipment by warranty and service contract" in text and "SC-JUNE" in text and "U5" in text


def test_warranty_report_queries_do_not_grow_with_units(units, head, clients, client_for,
                                                        django_assert_max_num_queries):
    c = client_for(head)
    params = {"date_from": "2026-04-01", "date_to": "2026-09-30", "ended": "on"}
    url = reverse("report", args=["equipment-warranty"])
    c.get(url, params)  # warm up the session and the content types
    with django_assert_max_num_queries(9) as before:
        c.get(url, params)
    contract = make_contract(clients[0], number="SC-MANY", end=dt.date(2026, 8, 31))
    for i in range(30):
        make_equipment(clients[i % 2], serial_number=f"MANY-{i}", warranty_until=dt.date(2026, 7, 1),
                       contract=contract if i % 2 == 0 else None)
    with django_assert_max_num_queries(len(before.captured_queries)):
        resp = c.get(url, params)
    assert len(resp.context["tables"][1].body) == 35


# --- Helpers --------------------------------------------------------------------------------------

def xlsx_rows(c, slug, params):
    resp = c.get(reverse("report", args=[slug]), {**params, "export": "xlsx"})
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(resp.content)).active
    return [[v for v in row if v is not None] for row in sheet.iter_rows(values_only=True)]


def pdf_text(c, slug, params):
    resp = c.get(reverse("report", args=[slug]), {**params, "export": "pdf"})
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    return " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.content)).pages).split())
