"""The at-risk list, its export, the explanations of each reason and the dashboard tile."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from analytics.dashboard import risks_tile
from analytics.tables import explain
from analytics.tests.factories import AnalysisRunFactory, RiskFlagFactory
from clients.tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db
URL = "/analytics/risks/"


@pytest.fixture
def flags(manager, teammate):
    old, current = AnalysisRunFactory(), AnalysisRunFactory()
    mine = CounterpartyFactory(main_manager=manager, name="Mine Ltd")
    theirs = CounterpartyFactory(main_manager=teammate, name="Theirs Ltd")
    return {
        "stale": RiskFlagFactory(run=old, counterparty=CounterpartyFactory(main_manager=manager, name="Old Ltd")),
        "no_contact": RiskFlagFactory(run=current, counterparty=mine, reason="no_contact",
                                      details={"days": 45, "last_contact": "2025-01-26"}),
        "sales_drop": RiskFlagFactory(run=current, counterparty=mine, reason="sales_drop",
                                      details={"recent": "123.00", "year_ago": "456.00", "pct": "73.0"}),
        "stage_drop": RiskFlagFactory(run=current, counterparty=theirs, reason="stage_drop",
                                      details={"from": "regular", "to": "lost"}),
    }


def test_url():
    assert reverse("analytics:risk_list") == URL


def text(resp):
    content = b"".join(resp.streaming_content) if resp.streaming else resp.content
    return content.decode("utf-8-sig")


def test_list_is_restricted_and_explained(client, manager, flags):
    client.force_login(manager)
    resp = client.get(URL)
    assert resp.status_code == 200
    html = text(resp)
    assert "Mine Ltd" in html and "Theirs Ltd" not in html and "Old Ltd" not in html
    assert "No contact" in html and "no contact for 45 days" in html
    assert "Sales down on a year ago" in html and "sales −73.0 % on a year ago" in html


def test_head_sees_the_company_and_filters(client, head, teammate, flags):
    client.force_login(head)
    assert {f.pk for f in client.get(URL).context["table"].rows} == {
        flags[k].pk for k in ("no_contact", "sales_drop", "stage_drop")}
    assert [f.pk for f in client.get(URL, {"reason": "stage_drop"}).context["table"].rows] == [flags["stage_drop"].pk]
    assert [f.pk for f in client.get(URL, {"main_manager": teammate.pk}).context["table"].rows] == [
        flags["stage_drop"].pk]
    assert "stage regular → lost" in text(client.get(URL))


def test_an_older_run_by_its_id(client, head, flags):
    client.force_login(head)
    rows = client.get(URL, {"run": flags["stale"].run_id}).context["table"].rows
    assert [f.pk for f in rows] == [flags["stale"].pk]


def test_bad_filter_is_a_400(client, head, flags):
    client.force_login(head)
    assert client.get(URL, {"reason": "nope"}).status_code == 400
    resp = client.get(URL, {"run": "x", "export": "csv"})
    assert resp.status_code == 400 and "Analysis run" in resp.content.decode()


def test_export(client, manager, flags):
    client.force_login(manager)
    csv = text(client.get(URL, {"export": "csv"}))
    assert "Mine Ltd" in csv and "no contact for 45 days" in csv and "Theirs Ltd" not in csv
    resp = client.get(URL, {"export": "xlsx"})
    book = load_workbook(io.BytesIO(b"".join(resp.streaming_content) if resp.streaming else resp.content))
    cells = [c for row in book.active.iter_rows(values_only=True) for c in row]
    assert "Mine Ltd" in cells and "Theirs Ltd" not in cells


def test_translated_in_russian(client, manager, flags):
    client.force_login(manager)
    client.cookies["django_language"] = "ru"
    with translation.override("ru"):
        label = str(flags["no_contact"].get_reason_display())
    assert label in text(client.get(URL))


def test_no_run_yet(client, head):
    client.force_login(head)
    resp = client.get(URL)
    assert resp.status_code == 200 and list(resp.context["table"].rows) == []


@pytest.mark.parametrize(("reason", "details", "expected"), [
    ("no_contact", {"days": 45, "last_contact": None}, "no contact for 45 days"),
    ("no_contact", {"days": 1, "last_contact": None}, "no contact for 1 day"),
    ("no_contact", {"days": None, "last_contact": None}, "never contacted"),
    ("no_contact", {"days": 45, "last_contact": "2025-01-26"}, "no contact for 45 days (last on 01/26/2025)"),
    ("overdue", {"days": 75, "median": 30, "factor": "1.5"}, "usual interval 30 days, 75 days since the last purchase"),
    ("class_drop", {"from": "A", "to": "C"}, "class A → C"),
    ("class_drop", {"from": "B", "to": ""}, "class B → —"),
    ("stage_drop", {"from": "regular", "to": "lost"}, "stage regular → lost"),
    ("stage_drop", {"from": "one_time", "to": "lost"}, "stage one-time → lost"),
    ("sales_drop", {"recent": "123.00", "year_ago": "456.00", "pct": "73.0"},
     "sales −73.0 % on a year ago (123.00 against 456.00)"),
    ("sales_drop", {}, ""),  # malformed details never break the list
    ("overdue", {"days": "x", "median": 30}, ""),
    ("no_contact", ["not", "a", "dict"], ""),
    ("unknown", {"days": 3}, ""),
])
def test_explanations(reason, details, expected):
    with translation.override("en"):
        assert explain(reason, details) == expected


def test_tile_counts_distinct_clients_in_two_queries(manager, head, teammate, flags):
    with CaptureQueriesContext(connection) as queries:
        context = risks_tile(manager, None, None)
    # Mine Ltd has two reasons: one client. The run first, then a count planned for its partition.
    assert context["count"] == 1 and len(queries) == 2
    assert risks_tile(head, None, None)["count"] == 2
    assert risks_tile(teammate, None, None)["count"] == 1


def test_tile_on_the_dashboard(client, head, flags):
    client.force_login(head)
    html = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="risks-tile"' in html and f'href="{URL}"' in html


def test_tile_without_a_run(head):
    assert risks_tile(head, None, None) == {"run": None, "count": 0}


def test_navigation(client, admin_user, manager):
    client.force_login(manager)
    html = client.get(reverse("analytics:run_list")).content.decode()
    assert f'href="{URL}"' in html and 'href="/analytics/runs/"' in html and 'href="/analytics/settings/"' not in html
    client.force_login(admin_user)
    assert 'href="/analytics/settings/"' in client.get(reverse("analytics:run_list")).content.decode()


def test_keyset_pages_by_client_name(client, head):
    run = AnalysisRunFactory()
    for i in range(30):
        RiskFlagFactory(run=run, counterparty=CounterpartyFactory(name=f"Client {i:02}"))
    client.force_login(head)
    first = client.get(URL, {"per_page": 25})
    second = client.get(URL, {"per_page": 25, "cursor": first.context["page"].next_cursor})
    names = [f.counterparty.name for f in [*first.context["table"].rows, *second.context["table"].rows]]
    assert names == [f"Client {i:02}" for i in range(30)]
