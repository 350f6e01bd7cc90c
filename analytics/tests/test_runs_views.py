"""The analysis run pages: list, starting a run (heads only), progress, summary restricted to the user."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.models import AnalysisRun
from analytics.tests.factories import AnalysisRunFactory, ClientAnalysisFactory
from clients.tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(manager, teammate):
    """A finished run: the manager's clients A and B, the teammate's A, C and C."""
    run = AnalysisRunFactory(clients=5, skipped={"EUR": 3, "USD": 1})
    for owner, classes in ((manager, "AB"), (teammate, "ACC")):
        for i, abc in enumerate(classes):
            cp = CounterpartyFactory(main_manager=owner, name=f"{owner.username} client {i}")
            ClientAnalysisFactory(run=run, counterparty=cp, abc=abc, revenue=Decimal("100"), profit=Decimal("10"),
                                  measure=Decimal("100"), stage="lost" if abc == "C" else "regular",
                                  xyz="X" if abc == "A" else "")
    return run


def login(client, user):
    client.force_login(user)
    return client


def counts(resp, key):
    groups = {k: rows for k, _title, rows in resp.context["groups"]}
    return {row["key"]: row["clients"] for row in groups[key]}


def test_run_page_counts_only_the_managers_own_rows(client, manager, run):
    resp = login(client, manager).get(reverse("analytics:run", args=[run.pk]))
    assert resp.status_code == 200
    assert counts(resp, "abc") == {"A": 1, "B": 1}
    assert counts(resp, "stage") == {"regular": 2}
    assert counts(resp, "xyz") == {"X": 1, "": 1}
    assert resp.context["clients"] == 2
    html = resp.content.decode()
    assert "manager1 client 0" in html and "manager2 client" not in html


def test_run_page_counts_the_whole_company_for_a_head(client, head, run):
    resp = login(client, head).get(reverse("analytics:run", args=[run.pk]))
    assert counts(resp, "abc") == {"A": 2, "B": 1, "C": 2}
    assert counts(resp, "stage") == {"regular": 3, "lost": 2}
    assert resp.context["groups"][0][2][0]["revenue"] == Decimal("200")


def test_run_list_shows_each_user_their_clients(client, manager, head, run):
    resp = login(client, manager).get(reverse("analytics:run_list"))
    assert resp.status_code == 200
    assert [r.visible_clients for r in resp.context["table"].rows] == [2]
    assert 'data-testid="run-analysis"' not in resp.content.decode()
    resp = login(client, head).get(reverse("analytics:run_list"))
    assert 'data-testid="run-analysis"' in resp.content.decode()
    row = dict(zip([h["label"] for h in resp.context["table"].headers()], resp.context["table"].body()[0][1],
                   strict=True))
    assert "5" in row["Clients"][0]


def test_run_list_exports(client, quality, run):
    resp = login(client, quality).get(reverse("analytics:run_list"), {"export": "csv"})
    content = b"".join(resp.streaming_content) if resp.streaming else resp.content
    assert resp.status_code == 200
    assert "Analysis date" in content.decode("utf-8-sig")


def test_head_starts_a_run(client, head, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        resp = login(client, head).post(reverse("analytics:run_add"), {
            "analysis_date": "2025-03-12", "measure": "profit", "period_start": "2024-01-01",
            "period_end": "2024-12-31"})
    run = AnalysisRun.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("analytics:run", args=[run.pk])
    assert (run.status, run.measure, run.started_by, run.analysis_date) == ("queued", "profit", head,
                                                                           datetime.date(2025, 3, 12))
    assert (run.period_start, run.period_end) == (datetime.date(2024, 1, 1), datetime.date(2024, 12, 31))
    job = DBTaskResult.objects.get(task_path="analytics.tasks.run_analysis")
    assert job.args_kwargs["args"] == [run.pk]


def test_default_period_is_the_full_months_before_the_date(client, admin_user):
    resp = login(client, admin_user).post(reverse("analytics:run_add"),
                                          {"analysis_date": "2025-03-12", "measure": "revenue"})
    assert resp.status_code == 302
    run = AnalysisRun.objects.get()
    assert (run.period_start, run.period_end) == (datetime.date(2024, 3, 1), datetime.date(2025, 2, 28))


def test_form_defaults_to_today(client, head):
    resp = login(client, head).get(reverse("analytics:run_add"))
    assert resp.status_code == 200
    assert resp.context["form"]["analysis_date"].value() == timezone.localdate()


@pytest.mark.parametrize("persona", ["manager", "quality", "marketer", "service"])
def test_only_heads_start_runs(client, persona, request):
    user = request.getfixturevalue(persona)
    login(client, user)
    assert client.get(reverse("analytics:run_add")).status_code == 403
    resp = client.post(reverse("analytics:run_add"), {"analysis_date": "2025-03-12", "measure": "revenue"})
    assert resp.status_code == 403
    assert not AnalysisRun.objects.exists()


@pytest.mark.parametrize(("data", "field"), [
    ({"analysis_date": "0001-01-01", "measure": "revenue"}, "analysis_date"),
    ({"analysis_date": "2025-02-30", "measure": "revenue"}, "analysis_date"),
    ({"analysis_date": "", "measure": "revenue"}, "analysis_date"),
    ({"analysis_date": "2025-03-12", "measure": "volume"}, "measure"),
    ({"analysis_date": "2025-03-12", "measure": "revenue", "period_start": "2024-01-01"}, "period_end"),
    ({"analysis_date": "2025-03-12", "measure": "revenue", "period_end": "2024-01-01"}, "period_start"),
    ({"analysis_date": "2025-03-12", "measure": "revenue", "period_start": "2024-05-01",
      "period_end": "2024-01-01"}, "period_end"),
    ({"analysis_date": "2025-03-12", "measure": "revenue", "period_start": "2025-01-01",
      "period_end": "2025-04-01"}, "period_end"),
    ({"analysis_date": "2025-03-12", "measure": "revenue", "period_start": "9999-12-31",
      "period_end": "2024-12-31"}, "period_start"),
])
def test_bad_input_is_a_400_naming_the_field(client, head, data, field):
    resp = login(client, head).post(reverse("analytics:run_add"), data)
    assert resp.status_code == 400
    assert list(resp.context["form"].errors) == [field]
    assert not AnalysisRun.objects.exists()


def test_progress_is_polled_while_running(client, manager):
    run = AnalysisRunFactory(status="running", progress=40, step="Stages", finished_at=None)
    login(client, manager)
    html = client.get(reverse("analytics:run", args=[run.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html and reverse("analytics:run_status", args=[run.pk]) in html
    assert "width: 40%" in html and "Stages" in html
    partial = client.get(reverse("analytics:run_status", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    body = partial.content.decode()
    assert body.lstrip().startswith('<div id="run-status"') and 'hx-trigger="every 1s"' in body
    assert "<html" not in body


def test_polling_stops_when_done_and_the_summary_appears(client, manager, run):
    body = login(client, manager).get(reverse("analytics:run_status", args=[run.pk])).content.decode()
    assert "hx-trigger" not in body
    assert 'data-testid="run-summary"' in body and "width: 100%" in body
    assert "manager1 client 1" in body and "manager2 client" not in body


def test_failed_run_shows_the_error_to_heads_only(client, head, manager):
    run = AnalysisRunFactory(status="failed", progress=30, error="division by zero in XYZ")
    assert "division by zero" in login(client, head).get(reverse("analytics:run", args=[run.pk])).content.decode()
    html = login(client, manager).get(reverse("analytics:run", args=[run.pk])).content.decode()
    assert "The analysis failed." in html and "division by zero" not in html and "every 1s" not in html


def test_note_on_lines_in_other_currencies(client, head, run):
    html = login(client, head).get(reverse("analytics:run", args=[run.pk])).content.decode()
    assert "4 shipment lines in other currencies (EUR: 3, USD: 1) were left out." in html


def test_report_links_to_the_analytics_reports_of_the_run(client, head, run):
    login(client, head)
    links = client.get(reverse("analytics:run", args=[run.pk])).context["reports"]
    assert [url for _title, url in links] == [f"/reports/abc/?run={run.pk}", f"/reports/xyz-stages/?run={run.pk}"]


def test_rows_are_paginated_by_keyset(client, head):
    run = AnalysisRunFactory()
    for i in range(55):
        ClientAnalysisFactory(run=run, measure=Decimal(1000 - i), counterparty__name=f"Client {i:02}")
    login(client, head)
    url = reverse("analytics:run", args=[run.pk])
    first = client.get(url)
    assert len(first.context["page"].items) == 50
    assert first.context["page"].items[0].counterparty.name == "Client 00"
    second = client.get(url, {"cursor": first.context["page"].next_cursor})
    assert [r.counterparty.name for r in second.context["page"].items] == [f"Client {i}" for i in range(50, 55)]


def test_someone_elses_unknown_run_is_a_404(client, manager):
    assert login(client, manager).get(reverse("analytics:run", args=[999999])).status_code == 404
    assert client.get(reverse("analytics:run_status", args=[999999])).status_code == 404


def test_anonymous_is_sent_to_log_in(client, run):
    for url in (reverse("analytics:run_list"), reverse("analytics:run", args=[run.pk]), reverse("analytics:run_add")):
        assert client.get(url).status_code == 302
