"""Complaint reports against hand-computed rows."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.tests.factories import CounterpartyFactory
from service.complaint_reports import ComplaintsByReport, DecisionsReport, ProcessingTimeReport
from service.models import Complaint
from service.tests.factories import ComplaintFactory, complaint_type

pytestmark = pytest.mark.django_db


def local(*args):
    return timezone.make_aware(dt.datetime(*args))


@pytest.fixture
def rows(head, quality, manager):
    """Quality: A 1 day (on time), B 4 days (late), C 2.5 days (on time), D open; delivery: E 0.5 day."""
    mine = CounterpartyFactory(name="Cafe Mine", main_manager=manager)
    other = CounterpartyFactory(name="Bakery Other")
    quality_type, delivery = complaint_type("quality"), complaint_type("delivery")

    def make(received, decided, deadline, kind=quality_type, client=mine, state=Complaint.State.CLOSED):
        return ComplaintFactory(type=kind, counterparty=client, responsible=quality, received_at=local(*received),
                                deadline=local(*deadline), state=state, decision="Done" if decided else "",
                                decided_at=local(*decided) if decided else None)

    make((2026, 3, 2, 10), (2026, 3, 3, 10), (2026, 3, 5, 10))
    make((2026, 3, 2, 10), (2026, 3, 6, 10), (2026, 3, 5, 10), client=other)
    make((2026, 3, 10, 10), (2026, 3, 12, 22), (2026, 3, 13, 10), client=other, state=Complaint.State.REJECTED)
    make((2026, 3, 11, 10), None, (2026, 3, 16, 10), state=Complaint.State.IN_PROGRESS)
    make((2026, 4, 1, 10), (2026, 4, 1, 22), (2026, 4, 6, 10), kind=delivery, state=Complaint.State.DECIDED)
    make((2025, 12, 1, 10), (2025, 12, 2, 10), (2025, 12, 4, 10))  # outside the period


FILTERS = {"date_from": dt.date(2026, 1, 1), "date_to": dt.date(2026, 12, 31)}


def by_rows(user, by):
    """The rows as every output reads them (the report's queryset, named, then the totals row)."""
    table = ComplaintsByReport(user, {**FILTERS, "by": by}).get_tables()[0]
    return table.export_rows()


def test_processing_time_by_type(rows, head):
    result = ProcessingTimeReport(head).rows({**FILTERS, "by": "type"}, head)
    assert result == [
        {"group": "Delivery", "received": 1, "decided": 1, "median_days": Decimal("0.5"), "on_time": Decimal("100.0")},
        {"group": "Product quality", "received": 4, "decided": 3, "median_days": Decimal("2.5"),
         "on_time": Decimal("66.7")},
    ]


def test_processing_time_by_month_and_responsible(rows, head, quality):
    by_month = ProcessingTimeReport(head).rows({**FILTERS, "by": "month"}, head)
    assert [(r["received"], r["decided"], r["median_days"], r["on_time"]) for r in by_month] == [
        (4, 3, Decimal("2.5"), Decimal("66.7")), (1, 1, Decimal("0.5"), Decimal("100.0"))]
    by_person = ProcessingTimeReport(head).rows({**FILTERS, "by": "responsible"}, head)
    assert [(r["received"], r["decided"], r["median_days"], r["on_time"]) for r in by_person] == [
        (5, 4, Decimal("1.8"), Decimal("75.0"))]  # median of 0.5, 1, 2.5, 4 = 1.75


def test_complaints_by_client_and_the_manager_scope(rows, head, manager):
    with_all = by_rows(head, "client")
    # Cafe Mine: A closed, D in progress, E decided (open, and past its deadline now); Bakery: B, C.
    assert [(r["group"], r["count"], r["open"], r["overdue"], r["closed"]) for r in with_all] == [
        ("Cafe Mine", 3, 2, 2, 1), ("Bakery Other", 2, 0, 0, 2), ("Total", 5, 2, 2, 3)]
    own = by_rows(manager, "manager")
    assert [(r["count"], r["open"], r["closed"]) for r in own] == [(3, 2, 1), (3, 2, 1)]  # the group, the total
    by_type = by_rows(head, "type")
    assert {r["group"]: r["count"] for r in by_type} == {"Product quality": 4, "Delivery": 1, "Total": 5}
    assert [r["group"] for r in by_rows(head, "product")] == ["— none —", "Total"]


def test_the_page_shows_the_biggest_groups_and_totals_over_all(rows, head, client_for, monkeypatch):
    ComplaintFactory(counterparty=CounterpartyFactory(name="Kiosk Third"), received_at=local(2026, 5, 4, 10),
                     state=Complaint.State.NEW)
    monkeypatch.setattr(ComplaintsByReport.tables[0], "html_limit", 1)
    page = client_for(head).get(reverse("report", args=["complaints-by"]),
                                {"date_from": "2026-01-01", "date_to": "2026-12-31", "by": "client"})
    table = page.context["tables"][0]
    assert len(table.body) == 1 and "Cafe Mine" in str(table.body[0])  # the top group only
    # The query reads two groups (one more tells there are more); the totals cover all three.
    assert table.truncated and [r["count"] for r in table.rows] == [3, 2, 6]
    assert [(r["open"], r["closed"]) for r in table.rows][-1] == (3, 3)


def test_decisions_and_the_pages(rows, client_for, head):
    decided = DecisionsReport(head).rows(FILTERS, head)
    assert decided.count() == 4
    c = client_for(head)
    for slug, params in (("complaint-processing", {"by": "type"}), ("complaints-by", {"by": "product"}),
                         ("complaint-decisions", {})):
        params = {"date_from": "2026-01-01", "date_to": "2026-12-31", **params}
        assert c.get(reverse("report", args=[slug]), params).status_code == 200
        assert c.get(reverse("report", args=[slug]), {**params, "export": "xlsx"}).status_code == 200


def test_group_counts_are_the_same_read_by_keys_or_in_one_pass(rows, head, monkeypatch):
    from service import complaint_reports

    by_keys = by_rows(head, "client")
    monkeypatch.setattr(complaint_reports, "DETAIL_KEYS", 1)  # an export of many groups
    assert by_rows(head, "client") == by_keys
    assert [r["group"] for r in by_rows(head, "product")] == ["— none —", "Total"]  # the NULL group too

