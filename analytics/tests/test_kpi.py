"""Manager indicators and the ranking against hand-computed figures (docs/analytics-kpi.md).

The world (frozen on 15.03.2025, Europe/Moscow), period February 2025, two managers:

Anna Alpha (A): clients a1 (phone + email + person), a2 (phone + person), a4 (complete, in the trash)
Boris Beta (B): clients b1 (phone + email + person), b2 (mobile + email + person)
  completeness A 1/2 = 50 %, B 2/2 = 100 %, company 3/4 = 75 %
Contacts (done, February): A 3 (one at 28.02 23:30 local), B 1; planned / 01.03 00:30 / trashed client
  not counted → company 4: A 75 %, B 25 %
Runs: 31.01 (start) a1 one-time, a2 regular, b1 regular; 28.02 (end) a1 regular, a2 lost, b1 regular,
  b2 one-time; 10.03 (after the period) and a queued run on 28.02 ignored
  → ups A 1 (a1), B 1 (b2 from potential) = 50 % / 50 %; downs A 1 (a2) = 100 %, B 0
  → retention A 1 lost / 2 = 50 %, B 0 / 2 = 0 %, company 1 / 4 = 25 %
Orders completed in February: A 2 (01.02, 28.02; not 31.01, not the trashed one, not the confirmed one),
  B 1 → A 66.67 %, B 33.33 %
Sales (RUB): A order a1 line 10 × 100 (cost 60): actual shipment 10.02 × 3 = 300, profit 120; planned,
  trashed, March, EUR and fell-through shipments left out; B line 5 × 200 (cost 150) shipped 20.02 × 2 =
  400, profit 100 → revenue A 42.86 % B 57.14 %; profit A 54.55 % B 45.45 %
Payments (actual, RUB, February): A 250, B 150 → 62.50 % / 37.50 %
Score, default weights (Σ|w| = 10):
  A = (50 + 75 + 50 − 100 − 50 + 66.67 + 2 × 42.86 + 54.55 + 62.50) ÷ 10 = 29.44
  B = (100 + 25 + 50 − 0 − 0 + 33.33 + 2 × 57.14 + 45.45 + 37.50) ÷ 10 = 40.56 (40.556)
  C (Clara Gamma, a plan only): 0 → places B 1, A 2, C 3
Previous period 04.01–31.01: no start run (every client from potential), end run 31.01: ups A 2, B 1;
  order 31.01 of A → A = (50 + 66.67 + 100) ÷ 10 = 21.67, B = (100 + 33.33) ÷ 10 = 13.33 → A 1, B 2;
  so now B ↑1, A ↓1, C new.
"""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from activities.models import Interaction
from activities.tests.factories import InteractionFactory
from analytics.models import AnalysisRun, AnalysisSettings, Stage
from analytics.services import kpi
from analytics.tests.factories import AnalysisRunFactory, ClientAnalysisFactory, SalesPlanFactory
from clients.models import ContactKind, Counterparty
from clients.tests.factories import ContactInfoFactory, ContactPersonFactory, CounterpartyFactory
from core.access import Role
from core.reports import Period
from core.tests.factories import UserFactory
from sales.models import Order
from sales.tests.factories import (
    OrderFactory,
    OrderFailureReasonFactory,
    OrderLineFactory,
    PaymentFactory,
    ShipmentFactory,
)

NOW = dt.datetime(2025, 3, 15, 9, 0, tzinfo=dt.UTC)
FEB = Period(dt.date(2025, 2, 1), dt.date(2025, 2, 28))


def local(*args):
    return timezone.make_aware(dt.datetime(*args))


def complete_client(manager, mobile=False):
    cp = CounterpartyFactory(main_manager=manager)
    ContactInfoFactory(counterparty=cp, kind=ContactKind.MOBILE if mobile else ContactKind.PHONE)
    ContactInfoFactory(counterparty=cp, kind=ContactKind.EMAIL, value="x@example.com")
    ContactPersonFactory(counterparty=cp)
    return cp


def run(day, rows, status=AnalysisRun.Status.DONE):
    r = AnalysisRunFactory(analysis_date=day, status=status)
    for cp, stage in rows.items():
        ClientAnalysisFactory(run=r, counterparty=cp, stage=stage)
    return r


def order(client, manager, state=Order.State.CONFIRMED, day=dt.date(2025, 2, 1), currency="RUB", **kw):
    return OrderFactory(counterparty=client, responsible=manager, state=state, date=day, currency=currency, **kw)


def build(a, b):
    """The world above for managers ``a`` and ``b``; returns a dict of its rows."""
    a.first_name, a.last_name = "Anna", "Alpha"
    b.first_name, b.last_name = "Boris", "Beta"
    a.save()
    b.save()
    c = UserFactory(username="clara", first_name="Clara", last_name="Gamma", role=Role.SALES_MANAGER)
    a1 = complete_client(a)
    a2 = CounterpartyFactory(main_manager=a)
    ContactInfoFactory(counterparty=a2)
    ContactPersonFactory(counterparty=a2)
    a4 = complete_client(a)
    b1 = complete_client(b)
    b2 = complete_client(b, mobile=True)
    Counterparty.objects.filter(pk=a1.pk).update(created_at=local(2025, 2, 10, 12))
    Counterparty.objects.filter(pk=a4.pk).update(created_at=local(2025, 2, 11, 12))
    # contacts
    for start in (local(2025, 2, 1, 0, 10), local(2025, 2, 14, 10), local(2025, 2, 28, 23, 30)):
        InteractionFactory(counterparty=a1, responsible=a, state=Interaction.State.DONE, start=start)
    InteractionFactory(counterparty=a1, responsible=a, state=Interaction.State.PLANNED, start=local(2025, 2, 20, 10))
    InteractionFactory(counterparty=a1, responsible=a, state=Interaction.State.DONE, start=local(2025, 3, 1, 0, 30))
    InteractionFactory(counterparty=a4, responsible=a, state=Interaction.State.DONE, start=local(2025, 2, 5, 10))
    InteractionFactory(counterparty=b1, responsible=b, state=Interaction.State.DONE, start=local(2025, 2, 3, 10))
    # runs
    run(dt.date(2025, 1, 31), {a1: Stage.ONE_TIME, a2: Stage.REGULAR, b1: Stage.REGULAR})
    run(dt.date(2025, 2, 28), {a1: Stage.REGULAR, a2: Stage.LOST, b1: Stage.REGULAR, b2: Stage.ONE_TIME})
    run(dt.date(2025, 2, 28), {a1: Stage.LOST, a2: Stage.LOST}, status=AnalysisRun.Status.QUEUED)
    run(dt.date(2025, 3, 10), {a1: Stage.LOST, a2: Stage.LOST, b1: Stage.LOST, b2: Stage.LOST})
    # orders
    for day in (dt.date(2025, 2, 1), dt.date(2025, 2, 28)):
        order(a1, a, Order.State.COMPLETED, day)
    order(a1, a, Order.State.COMPLETED, dt.date(2025, 1, 31))
    order(a1, a, Order.State.COMPLETED, dt.date(2025, 2, 10)).delete()
    order(a4, a, Order.State.COMPLETED, dt.date(2025, 2, 10))
    # sales
    oa = order(a1, a)
    line = OrderLineFactory(order=oa, quantity=10, price=100, cost=60)
    ShipmentFactory(line=line, date=dt.date(2025, 2, 10), quantity=3)
    ShipmentFactory(line=line, date=dt.date(2025, 2, 11), quantity=2, kind="planned")
    ShipmentFactory(line=line, date=dt.date(2025, 2, 12), quantity=1).delete()
    ShipmentFactory(line=line, date=dt.date(2025, 3, 1), quantity=1)
    eur = order(a1, a, currency="EUR")
    ShipmentFactory(line=OrderLineFactory(order=eur, quantity=2, price=50, cost=10), date=dt.date(2025, 2, 5),
                    quantity=2)
    failed = order(a1, a, Order.State.FAILED, failure_reason=OrderFailureReasonFactory())
    ShipmentFactory(line=OrderLineFactory(order=failed, quantity=1, price=999), date=dt.date(2025, 2, 6), quantity=1)
    ob = order(b1, b, Order.State.COMPLETED, dt.date(2025, 2, 15))
    ShipmentFactory(line=OrderLineFactory(order=ob, quantity=5, price=200, cost=150), date=dt.date(2025, 2, 20),
                    quantity=2)
    # payments
    PaymentFactory(order=oa, date=dt.date(2025, 2, 15), amount=250)
    PaymentFactory(order=oa, date=dt.date(2025, 2, 16), amount=100, kind="planned")
    PaymentFactory(order=eur, date=dt.date(2025, 2, 16), amount=100)
    PaymentFactory(order=ob, date=dt.date(2025, 2, 25), amount=150)
    a4.delete()  # a trashed client counts nowhere
    # plans (February: A and C; March: A and B)
    SalesPlanFactory(manager=a, month=dt.date(2025, 2, 1), revenue=600, new_clients=2, contacts=4)
    SalesPlanFactory(manager=c, month=dt.date(2025, 2, 1), revenue=1000, new_clients=1, contacts=10)
    SalesPlanFactory(manager=a, month=dt.date(2025, 3, 1), revenue=100, new_clients=0, contacts=2)
    SalesPlanFactory(manager=b, month=dt.date(2025, 3, 1), revenue=200, new_clients=0, contacts=0)
    return {"a": a, "b": b, "c": c, "a1": a1, "b1": b1, "oa": oa, "order_b": ob}


@pytest.fixture
def world(db, manager, teammate):
    with time_machine.travel(NOW, tick=False):
        yield build(manager, teammate)


def D(text):  # noqa: N802
    return Decimal(text)


def by_name(ranking):
    return {r.name: r for r in ranking.rows}


def test_every_indicator_by_hand(world):
    ranking = kpi.rank(FEB)
    rows = by_name(ranking)
    a, b = rows["Anna Alpha"], rows["Boris Beta"]
    assert a.clients == 2 and b.clients == 2
    assert a.values == {"completeness": D("50.00"), "contacts": 3, "stage_ups": 1, "stage_downs": 1,
                        "retention": D("50.00"), "orders": 2, "revenue": D("300.00"), "profit": D("120.00"),
                        "payments": D("250.00")}
    assert b.values == {"completeness": D("100.00"), "contacts": 1, "stage_ups": 1, "stage_downs": 0,
                        "retention": D("0.00"), "orders": 1, "revenue": D("400.00"), "profit": D("100.00"),
                        "payments": D("150.00")}
    assert a.shares == {"completeness": D("75.00"), "contacts": D("75.00"), "stage_ups": D("50.00"),
                        "stage_downs": D("100.00"), "retention": D("25.00"), "orders": D("66.67"),
                        "revenue": D("42.86"), "profit": D("54.55"), "payments": D("62.50")}
    assert b.shares["stage_downs"] == D("0.00") and b.shares["orders"] == D("33.33")
    assert b.shares["revenue"] == D("57.14") and b.shares["profit"] == D("45.45")
    assert ranking.company["revenue"] == D("700.00") and ranking.company["contacts"] == 4
    assert ranking.company["completeness"] == D("75.00") and ranking.company["retention"] == D("25.00")
    assert ranking.start_run.analysis_date == dt.date(2025, 1, 31)
    assert ranking.end_run.analysis_date == dt.date(2025, 2, 28)
    assert ranking.left_out == 1  # the EUR shipment line


def test_scores_places_and_change(world):
    ranking = kpi.rank(FEB)
    rows = by_name(ranking)
    assert rows["Anna Alpha"].score == D("29.44")
    assert rows["Boris Beta"].score == D("40.56")
    assert rows["Clara Gamma"].score == D("0.00")
    assert [r.name for r in ranking.rows] == ["Boris Beta", "Anna Alpha", "Clara Gamma"]
    assert [r.place for r in ranking.rows] == [1, 2, 3]
    previous = by_name(ranking.previous)
    assert ranking.previous.period == Period(dt.date(2025, 1, 4), dt.date(2025, 1, 31))
    assert previous["Anna Alpha"].score == D("21.67") and previous["Boris Beta"].score == D("13.33")
    assert "Clara Gamma" not in previous
    assert [r.change_text for r in ranking.rows] == ["↑1", "↓1", "new"]


def test_negative_weight_and_tie(world):
    # Only stage ups: both 50 % → a tie, broken by the name.
    tie = kpi.rank(FEB, weights={"stage_ups": 1}, with_previous=False)
    assert [(r.name, r.score) for r in tie.rows[:2]] == [("Anna Alpha", D("50.00")), ("Boris Beta", D("50.00"))]
    # Downs penalised twice: A = (50 − 2 × 100) ÷ 3 = −50, B = 50 ÷ 3 = 16.67.
    settings = AnalysisSettings.load()
    settings.kpi_weights = {code: 0 for code in settings.kpi_weights} | {"stage_ups": 1, "stage_downs": -2}
    settings.save()
    ranking = kpi.rank(FEB, with_previous=False)
    rows = by_name(ranking)
    assert rows["Anna Alpha"].score == D("-50.00") and rows["Boris Beta"].score == D("16.67")
    assert [r.name for r in ranking.rows] == ["Boris Beta", "Clara Gamma", "Anna Alpha"]


def test_no_runs_no_stage_changes(db, manager):
    CounterpartyFactory(main_manager=manager)
    ranking = kpi.rank(FEB)
    row = ranking.row_of(manager)
    assert (row.values["stage_ups"], row.values["stage_downs"], row.values["retention"]) == (0, 0, None)
    assert ranking.end_run is None


def test_a_manager_sees_only_their_line(world, manager, head):
    ranking = kpi.rank(FEB)
    assert [r.name for r in ranking.visible_rows(manager)] == ["Anna Alpha"]
    assert len(ranking.visible_rows(head)) == 3


def test_queries_do_not_grow_with_clients(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(30):
        kpi.rank(FEB)
