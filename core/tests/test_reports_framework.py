"""The report framework's guarantees, generated for every registered report (core.registry.reports):
each exports XLSX and PDF with its title and rows, a manager's page and files never name a
teammate's client, and bad filters are a 400 naming the field (never a 500), on SQLite and PostgreSQL.

The data set puts the manager's clients ("Alpha …") and the teammate's ("Zulu …") into every report:
interactions, contact information, deals won / lost / open, orders confirmed and failed, complaints
decided and survey answers.
"""

import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django import forms
from django.urls import reverse
from django.utils import translation
from django.utils.formats import number_format
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from activities.models import Interaction, InteractionType
from clients.models import ContactInfo, ContactKind
from clients.tests.factories import CounterpartyFactory
from core import registry
from core.models import ReportPreference
from core.reports import (
    MAX_PK,
    Chart,
    Column,
    Period,
    PeriodForm,
    Report,
    Table,
    display,
    last_12_months,
    money_text,
    next_12_months,
    sheet_title,
)
from sales.models import LostReason, Order, OrderFailureReason
from sales.tests.factories import DealFactory, OrderFactory, default_stages
from service.models import Complaint
from service.tests.equipment_factories import make_contract, make_equipment, make_visit
from service.tests.factories import ComplaintFactory
from service.tests.survey_factories import answer, make_survey

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime.datetime(2025, 4, 15, 12, 0, tzinfo=MSK)
YEAR = {"date_from": "2025-01-01", "date_to": "2025-12-31"}
SLUGS = registry.reports.keys()
FOREIGN = "Zulu"


def test_all_ten_reports_are_registered():
    assert set(SLUGS) >= {"contact-info", "contacts", "analysis", "without-interactions", "funnel", "forecast",
                          "won-lost", "order-failures", "interests", "profitability"}


@pytest.fixture
def data(manager, teammate):
    with time_machine.travel(NOW, tick=False):
        s1, _s2, _s3, _s4, _s5, won, lost = default_stages()
        reason = OrderFailureReason.objects.create(name="Out of stock", order=10)
        lost_reason = LostReason.objects.order_by("order").first()
        call = InteractionType.by_code("outgoing_call")
        survey = make_survey()[0]
        for prefix, user in [("Alpha", manager), (FOREIGN, teammate)]:
            cp = CounterpartyFactory(name=f"{prefix} Trading", main_manager=user)
            CounterpartyFactory(name=f"{prefix} Quiet", main_manager=user)  # no interaction: report 4
            ContactInfo.objects.create(counterparty=cp, kind=ContactKind.EMAIL, value=f"{prefix.lower()}@example.com")
            Interaction.objects.create(type=call, counterparty=cp, responsible=user, state="done",
                                       start=NOW - datetime.timedelta(days=3), subject="Call")
            DealFactory(counterparty=cp, responsible=user, stage=s1, amount=100,
                        expected_close_date=datetime.date(2025, 5, 1))
            DealFactory(counterparty=cp, responsible=user, stage=won, amount=200, closed_at=NOW)
            DealFactory(counterparty=cp, responsible=user, stage=lost, amount=300, closed_at=NOW,
                        lost_reason=lost_reason)
            OrderFactory(counterparty=cp, responsible=user, date=datetime.date(2025, 4, 1),
                         state=Order.State.CONFIRMED, amount=Decimal("1000"), cost=Decimal("600"))
            OrderFactory(counterparty=cp, responsible=user, date=datetime.date(2025, 4, 2),
                         state=Order.State.FAILED, failure_reason=reason, amount=Decimal("50"))
            days = datetime.timedelta(days=1)
            ComplaintFactory(counterparty=cp, subject=f"{prefix} complaint", received_at=NOW - 5 * days,
                             deadline=NOW - 2 * days, state=Complaint.State.DECIDED, decision=f"{prefix} refund",
                             decided_at=NOW - 3 * days)
            answer(survey, cp, NOW - datetime.timedelta(days=1), nps=9, rating=4)
            contract = make_contract(cp, number=f"{prefix}-SC", start=datetime.date(2025, 1, 1),
                                     end=datetime.date(2025, 12, 31))
            unit = make_equipment(cp, serial_number=f"{prefix}-SN", installed_on=datetime.date(2024, 6, 1),
                                  warranty_until=datetime.date(2025, 6, 1), contract=contract)
            make_visit(unit, planned_start=NOW - 5 * days, state="done", done_at=NOW - 5 * days)
    with time_machine.travel(NOW, tick=False):
        yield


def url(slug):
    return reverse("report", args=[slug])


def xlsx(c, slug):
    resp = c.get(url(slug), {**YEAR, "export": "xlsx"})
    assert resp.status_code == 200, resp.content[:300]
    sheet = load_workbook(io.BytesIO(resp.content)).active
    return [[v for v in row if v is not None] for row in sheet.iter_rows(values_only=True)]


def pdf(c, slug):
    resp = c.get(url(slug), {**YEAR, "export": "pdf"})
    assert resp.status_code == 200, resp.content[:300]
    assert resp["Content-Type"] == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(resp.content)).pages)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_report_renders_and_exports_xlsx_and_pdf(slug, sales_head, client_for, data):
    c = client_for(sales_head)
    resp = c.get(url(slug), YEAR)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "export=pdf" in html and "export=xlsx" in html and 'data-testid="report-table"' in html
    first = resp.context["tables"][0]
    row = next(r for r in first.rows if r.get("_level") != "total")
    column = next(col for col in first.columns if display(col, row, col.value(row)))
    value = display(column, row, column.value(row))

    rows = xlsx(c, slug)
    header = [str(col.label) for col in first.columns]
    assert header in rows  # the first table's header …
    assert len(rows) > rows.index(header) + 1  # … and its rows

    text = " ".join(pdf(c, slug).split())
    assert str(registry.reports[slug].title) in text
    assert " ".join(str(value).split()) in text, (slug, value)


@pytest.mark.parametrize("slug", SLUGS)
def test_a_managers_report_never_names_a_teammates_client(slug, manager, client_for, data):
    c = client_for(manager)
    resp = c.get(url(slug), YEAR)
    assert resp.status_code == 200
    assert FOREIGN not in resp.content.decode()
    assert FOREIGN not in str(xlsx(c, slug))
    assert FOREIGN not in pdf(c, slug)


def _bad_inputs(report_class):
    """(field, value) pairs every report must refuse with a 400 naming the field."""
    form = report_class.form_class(_empty_query())
    for name, field in form.fields.items():
        if isinstance(field, forms.DateField):
            yield name, "9999-12-31"
            yield name, "0001-01-01"
            yield name, "31.02.2025x"
        elif isinstance(field, forms.ModelChoiceField):
            yield name, str(MAX_PK + 1)
            yield name, "-1 OR 1=1"


def _empty_query():
    from django.http import QueryDict

    return QueryDict("")


@pytest.mark.parametrize("slug", SLUGS)
def test_bad_filters_are_a_400_naming_the_field(slug, admin_user, client_for, data):
    c = client_for(admin_user)
    report_class = registry.reports[slug]
    cases = list(_bad_inputs(report_class))
    assert cases
    for name, value in cases:
        for export in ("", "xlsx", "pdf"):
            resp = c.get(url(slug), {name: value, "export": export})
            assert resp.status_code == 400, (slug, name, value, export)
            label = str(report_class.form_class(_empty_query()).fields[name].label)
            assert f'data-field="{name}"' in resp.content.decode() and label in resp.content.decode()


# --- The framework on a small declared report ---------------------------------------------------


class _Demo(Report):
    slug = "framework-demo"
    title = "Demo report"
    form_class = PeriodForm
    tables = [Table("report", "Demo", [
        Column("manager", "Manager"),
        Column("client", "Client", link=True),
        Column("amount", "Amount", "money", currency="RUB", total=True),
        Column("count", "Count", "int", total=True),
    ], group_by=("manager",))]
    charts = [Chart("By client", label="client", values=["amount", "count"])]
    allowed = True

    @classmethod
    def has_permission(cls, user):
        return cls.allowed and user.is_authenticated

    def rows(self, filters, user):
        return [{"manager": "Ann", "client": "=cmd()", "client_url": "/x/", "amount": Decimal("10.50"), "count": 1},
                {"manager": "Ann", "client": "B", "amount": Decimal("2"), "count": 2},
                {"manager": "Bob", "client": "C", "amount": Decimal("-1"), "count": 0}]


@pytest.fixture
def demo():
    registry.reports.register(_Demo.slug, _Demo)
    yield _Demo
    _Demo.allowed = True
    registry.reports.unregister(_Demo.slug)


def test_declared_report_page_totals_groups_chart_and_files(demo, manager, client_for):
    c = client_for(manager)
    resp = c.get(url(demo.slug), YEAR)
    html = resp.content.decode()
    assert resp.status_code == 200
    # group headings instead of the manager column; the totals row summed from the ``total`` columns
    assert html.count('data-level="group"') == 2 and "<th>Manager</th>" not in html
    table = resp.context["tables"][0]
    assert table.rows[-1] == {"_level": "total", "manager": "Total", "amount": Decimal("11.50"), "count": 3}
    assert resp.context["charts"][0]["spec"] == {
        "type": "bar", "labels": ["=cmd()", "B", "C"], "money": "RUB",
        "datasets": [{"label": "Amount", "data": [10.5, 2.0, -1.0]}, {"label": "Count", "data": [1, 2, 0]}]}
    assert '<a href="/x/">=cmd()</a>' in html and "11.50 RUB" in html

    resp = c.get(url(demo.slug), {**YEAR, "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(resp.content)).active
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]] == ["Manager", "Client", "Amount", "Count"]
    # formulas neutralised: stored as typed text (never evaluated), without an apostrophe
    assert rows[1][1].value == "=cmd()" and rows[1][1].data_type == "s"
    assert rows[1][2].value == 10.5 and "RUB" in rows[1][2].number_format  # money is a number with currency
    assert [cell.value for cell in rows[-1]] == ["Total", None, 11.5, 3]

    text = " ".join(pdf(c, demo.slug).split())
    assert "Demo report" in text and "11.50 RUB" in text and "Ann" in text


def test_index_lists_only_the_reports_a_user_may_open(demo, manager, client_for):
    c = client_for(manager)
    assert url(demo.slug) in c.get(reverse("reports")).content.decode()
    demo.allowed = False
    assert url(demo.slug) not in c.get(reverse("reports")).content.decode()
    assert c.get(url(demo.slug)).status_code == 403
    assert c.get(url("no-such-report")).status_code == 404


def test_empty_report_shows_the_empty_state(demo, manager, client_for, monkeypatch):
    monkeypatch.setattr(_Demo, "rows", lambda self, filters, user: [])
    resp = client_for(manager).get(url(demo.slug), YEAR)
    html = resp.content.decode()
    assert 'data-testid="report-empty"' in html and "No data for the chosen filters." in html
    # no chart frame, no canvas, no empty table
    assert "<canvas" not in html and "data-chart" not in html and 'data-testid="report-table"' not in html
    assert 'data-level="total"' not in html


def test_a_chart_of_zeros_is_not_drawn(demo, manager, client_for, monkeypatch):
    monkeypatch.setattr(_Demo, "rows", lambda self, filters, user: [{"manager": "Ann", "client": "B",
                                                                      "amount": 0, "count": 0}])
    html = client_for(manager).get(url(demo.slug), YEAR).content.decode()
    assert 'data-testid="report-table"' in html and "<canvas" not in html


# --- Default period, remembered filters ---------------------------------------------------------

TODAY = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=MSK)
DEFAULT = (datetime.date(2025, 4, 1), datetime.date(2026, 3, 31))


@pytest.fixture
def early_march():
    with time_machine.travel(TODAY, tick=False):
        yield


def period_of(resp):
    data = resp.context["form"].cleaned_data
    return data["date_from"], data["date_to"]


def test_periods_ahead_and_sheet_titles():
    assert next_12_months(datetime.date(2026, 3, 2)) == Period(datetime.date(2026, 3, 1), datetime.date(2027, 2, 28))
    assert next_12_months(datetime.date(2026, 1, 31)) == Period(datetime.date(2026, 1, 1),
                                                                datetime.date(2026, 12, 31))
    assert sheet_title("Service visits: planned and done") == "Service visits planned and done"
    assert sheet_title("[?*]") == "Report"


def test_last_12_months():
    assert last_12_months(datetime.date(2026, 3, 2)) == Period(*DEFAULT)
    assert last_12_months(datetime.date(2026, 12, 31)) == Period(datetime.date(2026, 1, 1),
                                                                 datetime.date(2026, 12, 31))
    assert last_12_months(datetime.date(2026, 1, 1)) == Period(datetime.date(2025, 2, 1),
                                                               datetime.date(2026, 1, 31))


@pytest.mark.parametrize("slug", [s for s in SLUGS if issubclass(registry.reports[s].form_class, PeriodForm)
                                  and registry.reports[s].form_class.default_period is last_12_months])
def test_every_period_report_opens_on_the_last_12_months(slug, manager, client_for, early_march):
    resp = client_for(manager).get(url(slug))
    assert resp.status_code == 200
    assert period_of(resp) == DEFAULT


def test_the_last_choice_is_remembered_per_user_and_report(demo, manager, teammate, client_for, early_march):
    c = client_for(manager)
    assert period_of(c.get(url(demo.slug), {"date_from": "2026-01-01", "date_to": "2026-01-31"})) == (
        datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))
    resp = c.get(url(demo.slug))  # opened bare: the last choice
    assert period_of(resp) == (datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))
    html = resp.content.decode()
    assert 'data-testid="report-remembered"' in html
    assert "date_from=2026-01-01&amp;date_to=2026-01-31&amp;export=xlsx" in html  # the exports follow
    # another user, another report: unaffected
    assert period_of(client_for(teammate).get(url(demo.slug))) == DEFAULT
    assert period_of(c.get(url("won-lost"))) == DEFAULT
    # reset: the default again, and forgotten
    resp = c.get(url(demo.slug), {"reset": "1"})
    assert resp.status_code == 302 and resp["Location"] == url(demo.slug)
    assert period_of(c.get(url(demo.slug))) == DEFAULT
    assert not ReportPreference.objects.filter(user=manager).exists()


def test_an_invalid_remembered_choice_falls_back_to_the_default(demo, manager, client_for, early_march):
    ReportPreference.objects.create(user=manager, slug=demo.slug, query="date_from=9999-01-01")
    resp = client_for(manager).get(url(demo.slug))
    assert resp.status_code == 200 and period_of(resp) == DEFAULT
    assert not ReportPreference.objects.exists()


def test_exports_use_the_default_and_the_remembered_period(demo, manager, client_for, monkeypatch, early_march):
    seen = []
    monkeypatch.setattr(_Demo, "rows", lambda self, filters, user: seen.append(
        (filters["date_from"], filters["date_to"])) or [])
    c = client_for(manager)
    assert c.get(url(demo.slug), {"export": "xlsx"}).status_code == 200
    assert seen[-1] == DEFAULT
    c.get(url(demo.slug), {"date_from": "2026-02-01", "date_to": "2026-02-28"})
    assert c.get(url(demo.slug), {"export": "xlsx"}).status_code == 200
    assert seen[-1] == (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    # an export with explicit filters is not remembered as the page's choice
    c.get(url(demo.slug), {"date_from": "2025-05-01", "date_to": "2025-05-31", "export": "xlsx"})
    assert ReportPreference.objects.get(user=manager).query == "date_from=2026-02-01&date_to=2026-02-28"


def test_xlsx_datetimes_are_local_whole_seconds(demo, manager, client_for, monkeypatch):
    moment = datetime.datetime(2025, 4, 15, 9, 30, 15, 123456, tzinfo=datetime.UTC)
    monkeypatch.setattr(_Demo, "tables", [Table("report", "Demo", [Column("at", "At", "datetime"),
                                                                   Column("phone", "Phone")])])
    monkeypatch.setattr(_Demo, "rows", lambda self, filters, user: [{"at": moment, "phone": "+7 903 523-66-45"}])
    resp = client_for(manager).get(url(demo.slug), {**YEAR, "export": "xlsx"})
    cells = list(load_workbook(io.BytesIO(resp.content)).active.iter_rows())[1]
    assert cells[0].value == datetime.datetime(2025, 4, 15, 12, 30, 15)  # Moscow, no microseconds
    assert cells[0].number_format == "yyyy-mm-dd hh:mm"
    assert cells[1].value == "+7 903 523-66-45"


def test_a_report_may_ask_postgresql_for_sort_memory(demo, manager, client_for, monkeypatch):
    from django.db import connection

    def work_mem():
        with connection.cursor() as cursor:
            cursor.execute("SHOW work_mem")
            return cursor.fetchone()[0]

    seen = []
    monkeypatch.setattr(_Demo, "sort_memory", "32MB")
    monkeypatch.setattr(_Demo, "rows", lambda self, filters, user: seen.append(
        work_mem() if connection.vendor == "postgresql" else "-") or [])
    assert client_for(manager).get(url(demo.slug), YEAR).status_code == 200
    if connection.vendor == "postgresql":
        assert seen == ["32MB"] and work_mem() != "32MB"  # for the report only
    else:
        assert seen == ["-"]


# --- Money text ---------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(st.decimals(min_value=-10**12, max_value=10**12, places=5, allow_nan=False),
                       st.integers(min_value=-10**12, max_value=10**12),
                       st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)),
       language=st.sampled_from(["ru", "en", "ro"]))
def test_money_text_is_django_number_format(value, language):
    with translation.override(language):
        assert money_text(value) == number_format(Decimal(value), 2, force_grouping=True)
