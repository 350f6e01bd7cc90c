"""Demo analysis: every class, stage, XYZ class and risk reason has clients; runs computed; idempotent."""

import datetime as dt
from collections import Counter

import pytest
from django.db.models import Count, F

from analytics import demo
from analytics.models import (
    ABC,
    XYZ,
    AnalysisRun,
    Classification,
    ClassOverride,
    ClientAnalysis,
    RiskFlag,
    RiskReason,
    SalesPlan,
    Stage,
)
from core.tests.demo import NOW, load, load_once
from sales.models import Order, PlanFact, Shipment

TODAY = dt.date(2025, 3, 12)
MANAGERS = ["manager1", "manager2", "manager3"]  # the clients' demo managers (no sibling demo import)


@pytest.fixture(scope="module")
def demo_company(django_db_setup, django_db_blocker):
    """The whole demo, loaded once for the module and rolled back after it."""
    yield from load_once(django_db_blocker, now=NOW, password="demo-password-1")


def counter(run, field):
    return Counter(ClientAnalysis.objects.filter(run=run).values_list(field, flat=True))


def test_every_class_stage_xyz_and_risk_has_clients(demo_company, db):
    assert "Demo analysis:" in demo_company
    run = AnalysisRun.current()
    assert run.analysis_date == TODAY and run.status == AnalysisRun.Status.DONE
    assert run.previous is not None and run.previous.analysis_date == dt.date(2025, 2, 12)
    assert AnalysisRun.objects.filter(status=AnalysisRun.Status.DONE).count() == 2
    abc, stages, xyz = counter(run, "abc"), counter(run, "stage"), counter(run, "xyz")
    for value in [*ABC.values, ""]:
        assert abc[value] >= 3, (value, abc)
    for value in Stage.values:
        assert stages[value] >= 3, (value, stages)
    for value in XYZ.values:
        assert xyz[value] >= 3, (value, xyz)
    risks = Counter(RiskFlag.objects.filter(run=run).values_list("reason", flat=True))
    for value in RiskReason.values:
        assert risks[value] >= 3, (value, risks)
    # The EUR shipments are left out of the RUB analysis and counted in its note.
    assert run.currency == "RUB" and run.skipped == {"EUR": 2}
    assert Classification.objects.count() == ClientAnalysis.objects.filter(run=run).count() == run.clients


def test_scripted_clients_are_what_they_show(demo_company, db):
    """X clients buy the same every month; drops compare with last month's run; overdue is not lost."""
    run = AnalysisRun.current()
    rows = ClientAnalysis.objects.filter(run=run)
    assert all(cv <= 10 for cv in rows.filter(xyz=XYZ.X).values_list("cv", flat=True))
    assert all(10 < cv <= 25 for cv in rows.filter(xyz=XYZ.Y).values_list("cv", flat=True))
    overdue = rows.filter(counterparty__risk_flags__run=run, counterparty__risk_flags__reason=RiskReason.OVERDUE)
    for row in overdue:
        assert row.stage != Stage.LOST and row.purchases >= 2
        assert (TODAY - row.last_purchase).days > 1.5 * row.median_interval
    for flag in RiskFlag.objects.filter(run=run, reason=RiskReason.STAGE_DROP):
        assert flag.details["to"] == Stage.LOST or flag.details["from"] != flag.details["to"]
    for flag in RiskFlag.objects.filter(run=run, reason=RiskReason.NO_CONTACT):
        row = rows.get(counterparty=flag.counterparty_id)
        assert row.abc_effective in "AB" and (row.last_contact is None or (TODAY - row.last_contact).days > 30)


def test_plans_override_and_valid_orders(demo_company, db):
    plans = SalesPlan.objects.order_by("month", "manager__username")
    assert [(p.manager.username, p.month) for p in plans] == [
        (m, month) for month in (dt.date(2025, 2, 1), dt.date(2025, 3, 1)) for m in MANAGERS]
    assert all(p.revenue > 0 and p.currency == "RUB" for p in plans)
    override = ClassOverride.objects.get()
    assert override.abc == ABC.A and override.reason and override.set_by.username == "head"
    assert override.history.count() == 1
    current = Classification.objects.get(counterparty=override.counterparty)
    assert current.overridden and current.abc == ABC.A
    # The added orders are like the sales demo's: numbered, the client's manager, nothing shipped ahead.
    assert Order.objects.values("number").distinct().count() == Order.objects.count()
    assert not Order.objects.exclude(responsible=F("counterparty__main_manager")).exists()
    assert not Shipment.objects.filter(kind=PlanFact.ACTUAL, date__gt=TODAY).exists()
    assert not (Order.objects.filter(currency="EUR").annotate(n=Count("shipments"))
                .exclude(state=Order.State.COMPLETED).exists())


def test_load_again_adds_nothing(demo_company, db):
    before = (Order.objects.count(), AnalysisRun.objects.count(), SalesPlan.objects.count())
    assert "Demo analysis is already loaded." in load(NOW + dt.timedelta(days=1), password="demo-password-1")
    assert (Order.objects.count(), AnalysisRun.objects.count(), SalesPlan.objects.count()) == before


@pytest.mark.parametrize(("today", "earlier"), [
    (dt.date(2025, 3, 31), dt.date(2025, 2, 28)), (dt.date(2025, 3, 1), dt.date(2025, 2, 1)),
    (dt.date(2025, 1, 15), dt.date(2024, 12, 15)),
])
def test_the_earlier_run_is_a_month_back(today, earlier):
    assert demo.previous_analysis_date(today) == earlier


def test_overdue_rule_as_the_engine_counts():
    day = dt.date(2025, 3, 12)
    dates = [day - dt.timedelta(days=75 + 30 * k) for k in range(5)]
    assert demo.overdue_holds(dates, day)  # 75 > 1.5 × 30
    assert not demo.overdue_holds(dates, day - dt.timedelta(days=40))  # 35 ≤ 45
    assert not demo.overdue_holds(dates[:1], day)  # one purchase: no interval
