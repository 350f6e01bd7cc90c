"""Early warning: each reason against hand-computed figures, and the managers' digest."""

import datetime

import pytest
import time_machine

from activities.models import Interaction, Notification
from activities.tests.factories import InteractionFactory
from analytics.models import RiskFlag
from analytics.services import runs
from analytics.tests.test_engine import D, clients, sale

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime.datetime(2026, 12, 3, 12, 0, tzinfo=datetime.UTC), tick=False):
        yield


def flags(run, reason):
    return {f.counterparty_id: f.details for f in RiskFlag.objects.filter(run=run, reason=reason)}


def contact(client, days_ago, state=Interaction.State.DONE):
    InteractionFactory(counterparty=client, responsible=client.main_manager, state=state,
                       start=datetime.datetime.combine(D - datetime.timedelta(days=days_ago), datetime.time(12),
                                                       tzinfo=datetime.UTC))


def test_an_a_or_b_client_without_contact(manager):
    a31, a30, never, planned_only, c_class = clients(5, manager)
    for client, amount in ((a31, 400), (a30, 300), (never, 200), (planned_only, 100), (c_class, 10)):
        sale(client, datetime.date(2026, 10, 1), amount)
    contact(a31, 31)
    contact(a31, 40)
    contact(a30, 30)  # exactly 30 days: not more than 30
    contact(planned_only, 2, state=Interaction.State.PLANNED)
    contact(planned_only, -1, state=Interaction.State.DONE)  # tomorrow: after the analysis date
    contact(c_class, 90)
    run = runs.run_now(analysis_date=D)
    assert {c.pk: run.rows.get(counterparty=c).abc for c in (a31, a30, never, planned_only, c_class)} == {
        a31.pk: "A", a30.pk: "A", never.pk: "A", planned_only.pk: "B", c_class.pk: "C"}
    assert flags(run, "no_contact") == {
        a31.pk: {"days": 31, "last_contact": "2026-11-02"},
        never.pk: {"days": None, "last_contact": None},
        planned_only.pk: {"days": None, "last_contact": None},
    }


def test_a_purchase_overdue_against_the_usual_interval(manager):
    overdue, on_time, lost = clients(3, manager)
    for days in (130, 100, 70):  # intervals 30, 30 → median 30; 70 days since > 1.5 × 30
        sale(overdue, D - datetime.timedelta(days=days), 10)
    for days in (100, 70, 40):  # 40 days since ≤ 45
        sale(on_time, D - datetime.timedelta(days=days), 10)
    for days in (260, 230, 200):  # lost already: not "overdue"
        sale(lost, D - datetime.timedelta(days=days), 10)
    run = runs.run_now(analysis_date=D)
    assert flags(run, "overdue") == {overdue.pk: {"days": 70, "median": 30, "factor": "1.5"}}
    assert run.rows.get(counterparty=on_time).median_interval == 30


def test_the_median_of_an_even_number_of_intervals(manager):
    late, in_time = clients(2, manager)
    for days in (60, 50, 30):  # intervals 10, 20 → median 15; 30 days since > 1.5 × 15 = 22.5
        sale(late, D - datetime.timedelta(days=days), 10)
    for days in (52, 42, 22):  # 22 days since ≤ 22.5
        sale(in_time, D - datetime.timedelta(days=days), 10)
    half = clients(1, manager)[0]
    for days in (131, 121, 100):  # intervals 10, 21 → 15.5, rounded half away from zero on both databases
        sale(half, D - datetime.timedelta(days=days), 10)
    run = runs.run_now(analysis_date=D)
    assert flags(run, "overdue") == {late.pk: {"days": 30, "median": 15, "factor": "1.5"},
                                     half.pk: {"days": 100, "median": 16, "factor": "1.5"}}


def test_a_purchase_is_dated_by_its_first_shipment_day(manager):
    """A later shipment of an order is no purchase: it neither counts nor splits the intervals."""
    client = clients(1, manager)[0]
    first = sale(client, D - datetime.timedelta(days=100), 10)
    sale(client, D - datetime.timedelta(days=80), 10)
    sale(client, D - datetime.timedelta(days=60), 10, order=first)  # the first order shipped again
    sale(client, D - datetime.timedelta(days=60), 10)  # another purchase that day
    sale(client, D - datetime.timedelta(days=40), 10)
    run = runs.run_now(analysis_date=D)
    row = run.rows.get(counterparty=client)
    # Purchases 100, 80, 60, 40 days ago: intervals 20, 20, 20.
    assert (row.purchases, row.median_interval, row.first_purchase, row.last_purchase) == (
        4, 20, D - datetime.timedelta(days=100), D - datetime.timedelta(days=40))
    assert row.revenue == 50


def test_class_and_stage_drops_since_the_previous_run(manager):
    falls, stays = clients(2, manager)
    sale(falls, D - datetime.timedelta(days=190), 900)  # one purchase: one-time, then lost
    sale(stays, datetime.date(2026, 7, 1), 100)
    sale(stays, datetime.date(2026, 11, 1), 100)
    earlier = runs.run_now(analysis_date=D - datetime.timedelta(days=30))
    assert earlier.rows.get(counterparty=falls).stage == "one_time"
    assert earlier.rows.get(counterparty=falls).abc == "A"
    sale(stays, datetime.date(2026, 11, 2), 5000)
    run = runs.run_now(analysis_date=D)
    assert flags(run, "stage_drop") == {falls.pk: {"from": "one_time", "to": "lost"}}
    assert flags(run, "class_drop") == {falls.pk: {"from": "A", "to": "B"}}


def test_sales_down_on_the_same_months_a_year_ago(manager):
    down, almost, grown = clients(3, manager)
    for client, then, now in ((down, 1000, 700), (almost, 1000, 701), (grown, 100, 200)):
        sale(client, datetime.date(2025, 10, 5), then)  # September–November 2025
        sale(client, datetime.date(2026, 10, 5), now)  # September–November 2026
    run = runs.run_now(analysis_date=D)
    got = flags(run, "sales_drop")
    assert list(got) == [down.pk]
    assert {k: float(v) for k, v in got[down.pk].items()} == {"recent": 700.0, "year_ago": 1000.0, "pct": 30.0}


def test_thresholds_are_parameters(manager):
    client = clients(1, manager)[0]
    sale(client, datetime.date(2026, 10, 1), 100)
    contact(client, 20)
    assert not flags(runs.run_now(analysis_date=D), "no_contact")
    assert list(flags(runs.run_now(analysis_date=D, no_contact_days=10), "no_contact")) == [client.pk]


def test_managers_get_a_digest_of_their_newly_at_risk_clients(manager, teammate):
    from analytics.services import warnings

    mine, theirs = clients(1, manager)[0], clients(1, teammate)[0]
    sale(mine, datetime.date(2026, 10, 1), 100)
    sale(theirs, datetime.date(2026, 10, 1), 50)
    run = runs.run_now(analysis_date=D)
    sent = warnings.send_digest(run)
    assert sorted(n.user.username for n in sent) == sorted([manager.username, teammate.username])
    note = Notification.objects.get(user=manager)
    assert "1" in note.text and theirs.name not in note.text
    assert warnings.send_digest(run) == []  # once per run
    again = runs.run_now(analysis_date=D)
    assert warnings.send_digest(again) == []  # nobody newly at risk


def test_the_nightly_run_is_due_once_a_day_after_one_in_the_morning(manager):
    from analytics import tasks
    from analytics.models import AnalysisRun, AnalysisSettings

    moscow = datetime.timezone(datetime.timedelta(hours=3))
    assert not tasks.nightly_due(datetime.datetime(2026, 12, 3, 0, 30, tzinfo=moscow))
    assert tasks.nightly_due(datetime.datetime(2026, 12, 3, 1, 5, tzinfo=moscow))
    run_id = tasks.nightly_analysis.call()
    run = AnalysisRun.objects.get(pk=run_id)
    assert (run.nightly, run.status, run.analysis_date) == (True, "done", D)
    assert not tasks.nightly_due(datetime.datetime(2026, 12, 3, 23, 0, tzinfo=moscow))
    assert tasks.nightly_analysis.call() is None
    settings = AnalysisSettings.load()
    settings.nightly = False
    settings.save()
    assert not tasks.nightly_due(datetime.datetime(2026, 12, 4, 2, 0, tzinfo=moscow))


def test_the_dashboard_counts_the_clients_at_risk_as_published(manager, teammate, head):
    """The run stores how many clients it flagged; the head's tile takes off those put in the trash
    since (and back when restored); a manager's tile counts his own flags."""
    from analytics.dashboard import risks_tile

    mine, theirs, safe = clients(1, manager)[0], clients(1, teammate)[0], clients(1, teammate)[0]
    for days in (130, 100, 70):  # overdue and without contact: two reasons, one client
        sale(mine, D - datetime.timedelta(days=days), 100)
    sale(theirs, datetime.date(2026, 10, 1), 50)
    sale(safe, datetime.date(2026, 10, 1), 10)
    contact(safe, 1)
    run = runs.run_now(analysis_date=D)
    flagged = RiskFlag.objects.filter(run=run).values("counterparty").distinct().count()
    assert run.counts["at_risk"] == flagged == 2 and RiskFlag.objects.filter(run=run).count() > flagged
    assert risks_tile(head, None, None)["count"] == 2
    assert risks_tile(manager, None, None)["count"] == 1
    theirs.delete()
    assert risks_tile(head, None, None)["count"] == 1
    theirs.restore()
    assert risks_tile(head, None, None)["count"] == 2
