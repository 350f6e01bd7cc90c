"""The definitions of ABC, stages and XYZ against hand-computed figures (docs/analytics.md)."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from analytics.models import AnalysisRun, Classification, ClientAnalysis
from analytics.services import runs
from analytics.tests.factories import ClassOverrideFactory
from clients.tests.factories import CounterpartyFactory
from core.tests.factories import UserFactory
from sales.models import Order
from sales.tests.factories import OrderFactory, OrderLineFactory, ShipmentFactory

pytestmark = pytest.mark.django_db
D = datetime.date(2026, 12, 3)  # the period: 2025-12-01 … 2026-11-30


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime.datetime(2026, 12, 3, 12, 0, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def seller(db):
    return UserFactory(username="seller")


def sale(client, day, price, *, cost=0, quantity=1, currency="RUB", state=Order.State.CONFIRMED, order=None,
         seller=None):
    """An order (or another line of ``order``) with one actual shipment of ``quantity`` on ``day``."""
    order = order or OrderFactory(counterparty=client, responsible=seller or client.main_manager
                                  or UserFactory(), currency=currency, state=state, date=day)
    line = OrderLineFactory(order=order, price=price, cost=cost, quantity=quantity)
    ShipmentFactory(line=line, order=order, date=day, quantity=quantity)
    return order


def row(run, client):
    return ClientAnalysis.objects.get(run=run, counterparty=client)


def clients(n, manager):
    return [CounterpartyFactory(main_manager=manager) for _ in range(n)]


def test_abc_shares_ties_and_the_80_percent_boundary(seller):
    c1, c2, c3, c4, idle = clients(5, seller)
    sale(c1, datetime.date(2026, 3, 10), 800)
    sale(c2, datetime.date(2026, 5, 1), 100)
    sale(c3, datetime.date(2026, 6, 1), 50)  # ties with c4: the lower id goes first
    sale(c4, datetime.date(2026, 6, 1), 50)
    run = runs.run_now(analysis_date=D)
    assert run.status == AnalysisRun.Status.DONE and run.progress == 100
    assert (run.period_start, run.period_end) == (datetime.date(2025, 12, 1), datetime.date(2026, 11, 30))
    got = {c: (row(run, c).rank, row(run, c).abc, row(run, c).share, row(run, c).share_before)
           for c in (c1, c2, c3, c4)}
    # Running share before: 0 % → A; 80 % (not < 80) → B; 90 % → B; 95 % (not < 95) → C.
    assert got[c1] == (1, "A", Decimal("80.0000"), Decimal("0.0000"))
    assert got[c2] == (2, "B", Decimal("10.0000"), Decimal("80.0000"))
    assert got[c3] == (3, "B", Decimal("5.0000"), Decimal("90.0000"))
    assert got[c4] == (4, "C", Decimal("5.0000"), Decimal("95.0000"))
    assert row(run, idle).abc == "" and row(run, idle).rank is None and row(run, idle).stage == "potential"
    assert run.clients == 5 and run.total == Decimal("1000.00")
    assert row(run, c1).revenue == Decimal("800.00")


def test_what_is_not_a_sale(seller):
    """Trash, fell-through and draft orders, planned shipments, other currencies and sales outside
    the period are left out of the measure (other currencies are counted in the run's note)."""
    c1, c2 = clients(2, seller)
    sale(c1, datetime.date(2026, 2, 1), 100)
    trashed_order = sale(c1, datetime.date(2026, 2, 2), 1000)
    trashed_order.delete()
    sale(c1, datetime.date(2026, 2, 3), 1000, state=Order.State.FAILED)
    sale(c1, datetime.date(2026, 2, 4), 1000, state=Order.State.DRAFT)
    sale(c1, datetime.date(2026, 2, 5), 1000, currency="EUR")
    sale(c1, datetime.date(2026, 2, 5), 1000, currency="EUR")
    shipped = sale(c1, datetime.date(2026, 2, 6), 1000)
    shipped.shipments.get().delete()  # the shipment in the trash
    planned = sale(c1, datetime.date(2026, 2, 7), 1000)
    planned.shipments.update(kind="planned")
    line_gone = sale(c1, datetime.date(2026, 2, 8), 1000)
    line_gone.lines.get().delete()
    sale(c1, datetime.date(2025, 11, 30), 1000)  # a day before the period: a purchase, not in the measure
    sale(c1, datetime.date(2026, 12, 1), 1000)  # after the period, before the analysis date: likewise
    sale(c2, datetime.date(2026, 12, 4), 1000)  # after the analysis date: nothing at all
    run = runs.run_now(analysis_date=D)
    r1 = row(run, c1)
    assert (r1.revenue, r1.abc, r1.purchases) == (Decimal("100.00"), "A", 3)
    assert (r1.first_purchase, r1.last_purchase) == (datetime.date(2025, 11, 30), datetime.date(2026, 12, 1))
    assert row(run, c2).purchases == 0 and row(run, c2).stage == "potential"
    assert run.skipped == {"EUR": 2}


def test_profit_and_margin_measures(seller):
    big_cheap, small_rich = clients(2, seller)
    sale(big_cheap, datetime.date(2026, 4, 1), 100, cost=90)  # profit 10, margin 10 %
    sale(small_rich, datetime.date(2026, 4, 1), 50, cost=10)  # profit 40, margin 80 %
    by_revenue = runs.run_now(analysis_date=D)
    assert row(by_revenue, big_cheap).rank == 1
    by_profit = runs.run_now(analysis_date=D, measure="profit")
    assert (row(by_profit, small_rich).rank, row(by_profit, small_rich).measure) == (1, Decimal("40.0000"))
    assert row(by_profit, big_cheap).profit == Decimal("10.00")
    by_margin = runs.run_now(analysis_date=D, measure="margin")
    assert row(by_margin, small_rich).measure == Decimal("80.0000")
    assert row(by_margin, big_cheap).measure == Decimal("10.0000")


def test_a_client_with_a_loss_gets_no_class(seller):
    loss, gain = clients(2, seller)
    sale(loss, datetime.date(2026, 4, 1), 100, cost=150)
    sale(gain, datetime.date(2026, 4, 1), 100, cost=50)
    run = runs.run_now(analysis_date=D, measure="profit")
    assert row(run, loss).abc == "" and row(run, loss).measure == Decimal("-50.0000")
    assert row(run, gain).abc == "A"


def test_stages_and_the_lost_boundary_day(seller):
    one, regular, on_boundary, lost, two_lines = clients(5, seller)
    sale(one, datetime.date(2026, 10, 1), 10)
    sale(regular, datetime.date(2026, 9, 1), 10)
    sale(regular, datetime.date(2026, 10, 1), 10)
    sale(on_boundary, D - datetime.timedelta(days=180), 10)  # D − last = 180: not more than 180
    sale(lost, D - datetime.timedelta(days=181), 10)
    sale(lost, D - datetime.timedelta(days=300), 10)
    # One order, two shipments on two days: one purchase, dated by the first.
    order = sale(two_lines, datetime.date(2026, 8, 1), 10)
    sale(two_lines, datetime.date(2026, 9, 1), 10, order=order)
    run = runs.run_now(analysis_date=D)
    assert row(run, one).stage == "one_time"
    assert row(run, regular).stage == "regular"
    assert row(run, on_boundary).stage == "one_time"
    assert row(run, lost).stage == "lost"  # lost wins over regular
    assert (row(run, two_lines).stage, row(run, two_lines).purchases) == ("one_time", 1)
    assert row(run, two_lines).last_purchase == datetime.date(2026, 8, 1)


def test_lost_days_is_a_parameter(seller):
    client = clients(1, seller)[0]
    sale(client, D - datetime.timedelta(days=31), 10)
    assert row(runs.run_now(analysis_date=D, lost_days=30), client).stage == "lost"
    assert row(runs.run_now(analysis_date=D), client).stage == "one_time"


def _month_day(i):
    month = 11 + i  # 0 → December 2025
    return datetime.date(2025 + month // 12, month % 12 + 1, 15)


def test_xyz_by_the_coefficient_of_variation(seller):
    steady, x_edge, y_edge, z_just, zero_month, quiet = clients(6, seller)
    for client, amounts in ((steady, [100] * 12), (x_edge, [110, 90] * 6), (y_edge, [125, 75] * 6),
                            (z_just, [126, 74] * 6), (zero_month, [100] * 11 + [0])):
        for i, amount in enumerate(amounts):
            if amount:
                sale(client, _month_day(i), amount)
    # Regular (two purchases this month, outside the 12 full months): no sales in the window → Z.
    sale(quiet, datetime.date(2026, 12, 1), 10)
    sale(quiet, datetime.date(2026, 12, 2), 10)
    run = runs.run_now(analysis_date=D)
    assert (row(run, steady).xyz, row(run, steady).cv) == ("X", Decimal("0.00"))
    assert (row(run, x_edge).xyz, row(run, x_edge).cv) == ("X", Decimal("10.00"))  # CV = 10 %: X (≤)
    assert (row(run, y_edge).xyz, row(run, y_edge).cv) == ("Y", Decimal("25.00"))
    assert (row(run, z_just).xyz, row(run, z_just).cv) == ("Z", Decimal("26.00"))
    # 11 months of 100 and one empty month: mean 91.67, σ 27.64, CV 30.15 % → Z (X without the zero).
    assert (row(run, zero_month).xyz, row(run, zero_month).cv) == ("Z", Decimal("30.15"))
    assert (row(run, quiet).stage, row(run, quiet).xyz, row(run, quiet).cv) == ("regular", "Z", None)


def test_xyz_only_for_regular_clients(seller):
    one, lost = clients(2, seller)
    sale(one, _month_day(3), 100)
    sale(lost, datetime.date(2025, 1, 1), 100)
    sale(lost, datetime.date(2025, 2, 1), 100)
    run = runs.run_now(analysis_date=D)
    assert (row(run, one).xyz, row(run, lost).xyz) == ("", "")


def test_overrides_win_and_survive_new_runs(seller, head):
    c1, c2 = clients(2, seller)
    sale(c1, datetime.date(2026, 9, 1), 900)
    sale(c2, datetime.date(2026, 9, 1), 100)
    ClassOverrideFactory(counterparty=c2, abc="A", stage="", reason="Strategic", set_by=head)
    first = runs.run_now(analysis_date=D)
    second = runs.run_now(analysis_date=D)
    for run in (first, second):
        r2 = row(run, c2)
        assert (r2.abc, r2.abc_effective, r2.stage_effective) == ("B", "A", "one_time")
    current = Classification.objects.get(counterparty=c2)
    assert (current.abc, current.abc_prev, current.overridden) == ("A", "A", True)
    assert Classification.objects.get(counterparty=c1).overridden is False
    c2.class_overrides.get().delete()  # removed: the next run computes again
    assert row(runs.run_now(analysis_date=D), c2).abc_effective == "B"
    current.refresh_from_db()  # and the classification follows
    assert (current.abc, current.abc_prev, current.overridden) == ("B", "A", False)


def test_publishing_writes_only_the_classifications_that_changed(seller, monkeypatch):
    from analytics.services import engine

    written = []
    publish = engine.Sql.publish

    def counted(self):
        publish(self)
        written.append(self.published)

    monkeypatch.setattr(engine.Sql, "publish", counted)
    kept, moved, gone = clients(3, seller)
    for client, amount in ((kept, 900), (moved, 100), (gone, 50)):
        sale(client, datetime.date(2026, 9, 1), amount)
    runs.run_now(analysis_date=D)
    runs.run_now(analysis_date=D)  # the previous values arrive: every row changes
    runs.run_now(analysis_date=D)  # nothing changed
    sale(moved, datetime.date(2026, 10, 1), 2000)
    gone.delete()  # to the trash: out of the analysis
    runs.run_now(analysis_date=D)
    assert written == [3, 3, 0, 2]  # moved (B → A) updated, gone deleted, kept (A, 70 % before it) left
    assert {c.counterparty_id: (c.abc, c.abc_prev) for c in Classification.objects.all()} == {
        kept.pk: ("A", "A"), moved.pk: ("A", "B")}


def test_previous_values_give_the_arrows(seller):
    c1, c2 = clients(2, seller)
    sale(c1, datetime.date(2026, 9, 1), 900)
    sale(c2, datetime.date(2026, 9, 1), 100)
    first = runs.run_now(analysis_date=D)
    newcomer = CounterpartyFactory(main_manager=seller)
    sale(c2, datetime.date(2026, 10, 1), 9000)
    second = runs.run_now(analysis_date=D)
    assert second.previous_id == first.pk
    assert (row(second, c1).abc_prev, row(second, c1).abc_effective) == ("A", "B")
    assert (row(second, c2).abc_prev, row(second, c2).abc_effective) == ("B", "A")
    assert (row(second, c2).stage_prev, row(second, c2).stage_effective) == ("one_time", "regular")
    assert row(second, newcomer).abc_prev is None and row(second, newcomer).stage_prev is None
    current = Classification.objects.get(counterparty=c2)
    assert (current.abc_prev, current.abc) == ("B", "A")


def test_old_runs_are_pruned(seller):
    from analytics.models import AnalysisSettings

    settings = AnalysisSettings.load()
    settings.keep_runs = 2
    settings.save()
    sale(clients(1, seller)[0], datetime.date(2026, 4, 1), 10)
    made = [runs.run_now(analysis_date=D) for _ in range(3)]
    assert list(AnalysisRun.objects.order_by("pk").values_list("pk", flat=True)) == [r.pk for r in made[1:]]
    assert not ClientAnalysis.objects.filter(run=made[0].pk).exists()


def test_a_failed_run_keeps_the_current_classification(seller, monkeypatch):
    from analytics.services import engine

    sale(clients(1, seller)[0], datetime.date(2026, 4, 1), 10)
    good = runs.run_now(analysis_date=D)
    before = list(Classification.objects.values_list("counterparty_id", "abc", "stage", "abc_prev"))
    sale(clients(1, seller)[0], datetime.date(2026, 5, 1), 20)  # the failed run would reclassify both

    def broken(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(engine.Sql, "warn", broken)
    with pytest.raises(RuntimeError):
        runs.run_now(analysis_date=D)
    failed = AnalysisRun.objects.exclude(pk=good.pk).get()
    assert (failed.status, failed.error) == (AnalysisRun.Status.FAILED, "disk full")
    assert not failed.rows.exists()
    assert AnalysisRun.current() == good
    assert list(Classification.objects.values_list("counterparty_id", "abc", "stage", "abc_prev")) == before


def partitions_of(table):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "WHERE i.inhparent = %s::regclass ORDER BY c.relname", [table])
        return [name for (name,) in cursor.fetchall()]


def test_on_postgresql_each_run_has_its_partitions_and_pruning_drops_them(seller):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    from analytics.models import AnalysisSettings, RiskFlag

    settings = AnalysisSettings.load()
    settings.keep_runs = 1
    settings.save()
    client = clients(1, seller)[0]
    sale(client, datetime.date(2026, 4, 1), 10)  # an A client without contact: one risk flag
    first = runs.run_now(analysis_date=D)
    assert partitions_of("analytics_clientanalysis") == ["analytics_clientanalysis_default",
                                                          f"analytics_clientanalysis_r{first.pk}"]
    assert RiskFlag.objects.filter(run=first, counterparty=client, reason="no_contact").exists()
    assert row(first, client).abc == "A"
    first_id = row(first, client).pk
    second = runs.run_now(analysis_date=D)
    assert row(second, client).pk > first_id  # ids from the parent's sequence
    assert partitions_of("analytics_riskflag") == ["analytics_riskflag_default", f"analytics_riskflag_r{second.pk}"]
    assert row(second, client).abc_prev == "A"
    assert not ClientAnalysis.objects.filter(run=first).exists()  # dropped with its partition


def test_on_postgresql_the_migration_keeps_rows_when_partitioning_and_back(seller):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    from analytics.services.partitions import rebuild

    client = clients(1, seller)[0]
    sale(client, datetime.date(2026, 4, 1), 10)
    run = runs.run_now(analysis_date=D)
    before = list(ClientAnalysis.objects.order_by("pk").values())
    with connection.cursor() as cursor:
        rebuild(cursor, "analytics_clientanalysis", partitioned=False)
        assert partitions_of("analytics_clientanalysis") == []
        rebuild(cursor, "analytics_clientanalysis", partitioned=True)
    assert partitions_of("analytics_clientanalysis") == ["analytics_clientanalysis_default",
                                                          f"analytics_clientanalysis_r{run.pk}"]
    assert list(ClientAnalysis.objects.order_by("pk").values()) == before
    later = runs.run_now(analysis_date=D)  # indexes, constraints and the id sequence still work
    assert row(later, client).pk > before[-1]["id"]
