"""API of analysis runs (start, status, rows) and of the at-risk list."""

from decimal import Decimal

import pytest

from analytics.models import AnalysisRun
from analytics.tests.factories import AnalysisRunFactory, ClientAnalysisFactory, RiskFlagFactory
from clients.tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db

RUNS, RISKS = "/api/analysis-runs/", "/api/risks/"


@pytest.fixture
def clients(manager, teammate):
    return {owner: [CounterpartyFactory(main_manager=owner, name=f"{owner.username} {i}") for i in range(2)]
            for owner in (manager, teammate)}


@pytest.fixture
def run(clients):
    run = AnalysisRunFactory(clients=4, total=Decimal("400"), skipped={"EUR": 3}, step="Done",
                             params={"lost_days": 180})
    for cps in clients.values():
        for cp, abc in zip(cps, "AB", strict=True):
            ClientAnalysisFactory(run=run, counterparty=cp, abc=abc, measure=Decimal("100"))
    return run


def ids(resp):
    assert resp.status_code == 200, resp.content
    return {item["id"] for item in resp.json()["results"]}


def test_status_of_a_run(api, manager, run):
    data = api(manager).get(f"{RUNS}{run.pk}/").json()
    assert {k: data[k] for k in ("status", "progress", "step", "params", "skipped")} == {
        "status": "done", "progress": 100, "step": "Done", "params": {"lost_days": 180}, "skipped": {"EUR": 3}}
    assert data["clients"] == 2 and Decimal(data["total"]) == Decimal("200")  # the manager's own clients


def test_a_head_gets_the_company_figures(api, head, run):
    data = api(head).get(RUNS).json()["results"][0]
    assert data["clients"] == 4 and Decimal(data["total"]) == Decimal("400")


def test_rows_are_restricted_to_the_user(api, manager, head, teammate, run, clients):
    names = {item["counterparty_name"] for item in api(manager).get(f"{RUNS}{run.pk}/rows/").json()["results"]}
    assert names == {"manager1 0", "manager1 1"}
    assert len(ids(api(head).get(f"{RUNS}{run.pk}/rows/"))) == 4
    rows = api(teammate).get(f"{RUNS}{run.pk}/rows/", {"abc": "A"}).json()["results"]
    assert [r["counterparty_name"] for r in rows] == ["manager2 0"]
    assert rows[0]["abc_effective"] == "A"


def test_rows_paginate_without_count(api, head):
    run = AnalysisRunFactory()
    for i in range(7):
        ClientAnalysisFactory(run=run, measure=Decimal(100 - i))
    first = api(head).get(f"{RUNS}{run.pk}/rows/", {"page_size": 5}).json()
    assert len(first["results"]) == 5 and "count" not in first
    second = api(head).get(first["next"]).json()
    assert len(second["results"]) == 2
    assert [Decimal(r["measure"]) for r in first["results"] + second["results"]] == [Decimal(100 - i)
                                                                                     for i in range(7)]


@pytest.mark.parametrize(("params", "field"), [({"abc": "Q"}, "abc"), ({"main_manager": "x"}, "main_manager"),
                                               ({"main_manager": str(2**70)}, "main_manager")])
def test_bad_row_filter_is_a_400_naming_it(api, head, run, params, field):
    resp = api(head).get(f"{RUNS}{run.pk}/rows/", params)
    assert resp.status_code == 400 and field in resp.json()


def test_head_starts_a_run(api, head, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        resp = api(head).post(RUNS, {"analysis_date": "2025-03-12", "measure": "margin"}, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["status"] == "queued" and resp.json()["period_end"] == "2025-02-28"
    run = AnalysisRun.objects.get(pk=resp.json()["id"])
    assert run.started_by == head and run.measure == "margin"
    assert DBTaskResult.objects.get(task_path="analytics.tasks.run_analysis").args_kwargs["args"] == [run.pk]


def test_an_empty_request_starts_todays_run(api, admin_user):
    resp = api(admin_user).post(RUNS, {}, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["measure"] == "revenue"


@pytest.mark.parametrize("persona", ["manager", "quality", "marketer"])
def test_others_may_not_start_runs(api, persona, request):
    resp = api(request.getfixturevalue(persona)).post(RUNS, {}, format="json")
    assert resp.status_code == 403
    assert not AnalysisRun.objects.exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"analysis_date": "0001-01-01"}, "analysis_date"),
    ({"analysis_date": "yesterday"}, "analysis_date"),
    ({"measure": "volume"}, "measure"),
    ({"period_start": "2024-01-01"}, "period_end"),
    ({"period_start": "2024-06-01", "period_end": "2024-01-01"}, "period_end"),
    ({"analysis_date": "2025-03-12", "period_start": "2025-01-01", "period_end": "2025-06-01"}, "period_end"),
])
def test_bad_input_is_a_400_naming_the_field(api, head, body, field):
    resp = api(head).post(RUNS, body, format="json")
    assert resp.status_code == 400
    assert list(resp.json()) == [field]
    assert not AnalysisRun.objects.exists()


def test_runs_and_risks_are_read_only(api, admin_user, run):
    flag = RiskFlagFactory(run=run)
    for url in (f"{RUNS}{run.pk}/", f"{RISKS}{flag.pk}/"):
        assert api(admin_user).patch(url, {"status": "failed"}, format="json").status_code == 405
        assert api(admin_user).delete(url).status_code == 405
    assert api(admin_user).post(RISKS, {}, format="json").status_code == 405


def test_error_only_for_heads(api, head, manager):
    run = AnalysisRunFactory(status="failed", error="boom")
    assert api(head).get(f"{RUNS}{run.pk}/").json()["error"] == "boom"
    assert api(manager).get(f"{RUNS}{run.pk}/").json()["error"] == ""


def test_risks_of_the_current_run_restricted(api, manager, teammate, head, clients):
    old = AnalysisRunFactory()
    current = AnalysisRunFactory()
    mine = RiskFlagFactory(run=current, counterparty=clients[manager][0], reason="no_contact",
                           details={"days": 45, "last_contact": "2025-01-26"})
    overdue = RiskFlagFactory(run=current, counterparty=clients[manager][1], reason="overdue",
                              details={"days": 75, "median": 30, "factor": "1.5"})
    theirs = RiskFlagFactory(run=current, counterparty=clients[teammate][0], reason="class_drop",
                             details={"from": "A", "to": "C"})
    stale = RiskFlagFactory(run=old, counterparty=clients[manager][0])
    assert ids(api(manager).get(RISKS)) == {mine.pk, overdue.pk}
    assert ids(api(head).get(RISKS)) == {mine.pk, overdue.pk, theirs.pk}
    assert ids(api(head).get(RISKS, {"reason": "overdue"})) == {overdue.pk}
    assert ids(api(head).get(RISKS, {"main_manager": teammate.pk})) == {theirs.pk}
    assert ids(api(manager).get(RISKS, {"run": old.pk})) == {stale.pk}
    assert api(teammate).get(f"{RISKS}{mine.pk}/").status_code == 404
    row = api(manager).get(f"{RISKS}{overdue.pk}/").json()
    assert row["reason_display"] == "Purchase overdue"
    assert row["explanation"] == "usual interval 30 days, 75 days since the last purchase"
    assert row["counterparty_name"] == "manager1 1"


def test_no_run_no_risks(api, head):
    assert ids(api(head).get(RISKS)) == set()


@pytest.mark.parametrize("params", [{"reason": "nope"}, {"run": "x"}, {"run": str(2**70)}])
def test_bad_risk_filter_is_a_400(api, head, params):
    resp = api(head).get(RISKS, params)
    assert resp.status_code == 400 and next(iter(params)) in resp.json()
