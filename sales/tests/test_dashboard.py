"""The management dashboard against hand-computed figures, per user scope, in a fixed number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.models import Interaction, InteractionType, Task
from clients.tests.factories import CounterpartyFactory
from core import dashboard
from core.tests.factories import UserFactory
from sales.models import Order, OrderLine, Payment, Shipment
from sales.tests.factories import DealFactory, default_stages

pytestmark = pytest.mark.django_db

# Wednesday 12 March 2025, 12:30 in Moscow (the project's TIME_ZONE).
NOW = dt.datetime(2025, 3, 12, 9, 30, tzinfo=dt.UTC)
D = dt.date
RUB, EUR = "RUB", "EUR"


def moscow(day, hour, minute=0):
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=3)))


def order(cp, user, currency=RUB, lines=()):
    obj = Order.objects.create(counterparty=cp, responsible=user, currency=currency, date=D(2025, 2, 20))
    return obj, [OrderLine.objects.create(order=obj, product=f"P{i}", quantity=q, price=Decimal(p))
                 for i, (q, p) in enumerate(lines)]


def ship(line, day, quantity, kind="actual"):
    Shipment.objects.create(order=line.order, line=line, kind=kind, date=day, quantity=quantity)


def pay(obj, day, amount, kind="actual"):
    Payment.objects.create(order=obj, kind=kind, date=day, amount=Decimal(amount))


def contact(cp, user, start, state):
    Interaction.objects.create(type=InteractionType.by_code("outgoing_call"), counterparty=cp, responsible=user,
                               start=start, state=state, subject="Call")


@pytest.fixture
def world(manager, teammate, head):
    """Orders, deals, contacts and tasks of two managers; figures are worked out in the tests."""
    manager.first_name, manager.last_name = "Anna", "Antonova"
    manager.save()
    teammate.first_name, teammate.last_name = "Boris", "Borisov"
    teammate.save()
    with time_machine.travel(NOW, tick=False):
        mine, theirs = CounterpartyFactory(main_manager=manager), CounterpartyFactory(main_manager=teammate)
        # Orders: shipments valued at the line price; only actual ones, only this month.
        o1, (a, b) = order(mine, manager, lines=[(3, "1000.10"), (1, "500")])
        ship(a, D(2025, 3, 12), 2)  # today: 2000.20
        ship(b, D(2025, 3, 3), 1)  # this month: 500
        ship(a, D(2025, 2, 28), 1)  # last month
        ship(a, D(2025, 3, 12), 1, kind="planned")  # planned only
        pay(o1, D(2025, 3, 12), "1000")
        pay(o1, D(2025, 3, 1), "700")
        pay(o1, D(2025, 3, 12), "999", kind="planned")  # an invoice, not money received
        pay(o1, D(2025, 2, 15), "5000")  # last month
        o2, (c,) = order(theirs, teammate, lines=[(1, "10000")])
        ship(c, D(2025, 3, 12), 1)
        pay(o2, D(2025, 3, 5), "3000")
        o3, (e,) = order(theirs, teammate, currency=EUR, lines=[(2, "150.50")])
        ship(e, D(2025, 3, 10), 2)
        pay(o3, D(2025, 3, 12), "100")
        trashed, (f,) = order(mine, manager, lines=[(1, "777")])
        ship(f, D(2025, 3, 12), 1)
        pay(trashed, D(2025, 3, 12), "777")
        trashed.delete()

        # Deals: (responsible, client, stage index, amount, currency, probability, expected close).
        stages = default_stages()
        for responsible, cp, stage, amount, currency, probability, close in [
            (manager, mine, 0, "1000", RUB, None, D(2025, 3, 20)),  # March: 100
            (manager, mine, 2, "2000", RUB, 40, D(2025, 4, 5)),  # April: 800 (own probability)
            (teammate, theirs, 4, "5000", RUB, None, D(2025, 2, 10)),  # overdue: 4500
            (teammate, theirs, 1, "400", EUR, None, None),  # no date: 100 EUR
            (manager, mine, 5, "9999", RUB, None, D(2025, 3, 15)),  # won: not open
            (teammate, theirs, 3, "3000", RUB, None, D(2025, 12, 1)),  # after August: later, 2250
            (manager, mine, 0, "600", RUB, None, D(2025, 3, 31)),  # March: 60
        ]:
            DealFactory(responsible=responsible, counterparty=cp, stage=stages[stage], amount=Decimal(amount),
                        currency=currency, probability=probability, expected_close_date=close)

        # Contacts.
        done, planned = Interaction.State.DONE, Interaction.State.PLANNED
        contact(mine, manager, moscow(D(2025, 3, 12), 9), done)  # done today
        contact(mine, manager, moscow(D(2025, 3, 2), 11), done)
        contact(mine, manager, moscow(D(2025, 3, 1), 0, 30), done)  # 28 Feb 21:30 UTC: March in Moscow
        contact(mine, manager, moscow(D(2025, 2, 27), 11), done)  # last month
        contact(mine, manager, moscow(D(2025, 3, 11), 10), planned)  # overdue
        contact(mine, manager, moscow(D(2025, 3, 12), 10), planned)  # overdue: earlier today
        contact(mine, manager, moscow(D(2025, 3, 12), 15), planned)  # planned: later today
        contact(mine, manager, moscow(D(2025, 4, 1), 10), planned)
        contact(mine, manager, moscow(D(2025, 3, 12), 11), Interaction.State.CANCELLED)
        contact(theirs, teammate, moscow(D(2025, 3, 5), 10), done)
        contact(theirs, teammate, moscow(D(2025, 3, 1), 10), planned)

        # Tasks: open with a past deadline are overdue.
        def task(assignee, deadline, state=Task.State.OPEN):
            Task.objects.create(title="T", author=head, assignee=assignee, deadline=deadline, state=state)

        task(manager, moscow(D(2025, 3, 11), 18))
        task(manager, moscow(D(2025, 3, 13), 18))
        task(manager, moscow(D(2025, 3, 10), 18), Task.State.DONE)
        task(teammate, moscow(D(2025, 3, 12), 12))
        task(teammate, moscow(D(2025, 1, 31), 12))
    return stages


def build(user):
    """What every tile of the core dashboard gets for ``user`` (sales' and activities'), merged."""
    data = {}
    for context in dashboard.tile_contexts(user, now=NOW).values():
        data.update(context)
    return data


def money(data):
    return {(r.currency): (r.revenue_today, r.revenue_month, r.paid_today, r.paid_month) for r in data["money"]}


def forecast(data):
    return {b.key: (b.count, b.amounts, b.expected) for b in data["forecast"]}


def test_money_in(world, head, manager):
    assert money(build(head)) == {
        RUB: (Decimal("12000.20"), Decimal("12500.20"), Decimal("1000.00"), Decimal("4700.00")),
        EUR: (Decimal("0.00"), Decimal("301.00"), Decimal("100.00"), Decimal("100.00")),
    }
    # A manager's dashboard: their own orders only.
    assert money(build(manager)) == {
        RUB: (Decimal("2000.20"), Decimal("2500.20"), Decimal("1000.00"), Decimal("1700.00"))}
    assert [r.currency for r in build(head)["money"]] == [RUB, EUR]  # the default currency first


def test_money_in_follows_the_trash_and_the_shipments_kept_as_sale_days(world, head, manager):
    """Revenue is read from ``SaleDay`` (kept by triggers): a shipment changed by a bulk update,
    trashed, or of a client in the trash changes the figures as the shipments would."""
    mine = Order.objects.get(responsible=manager, currency=RUB)
    today = Shipment.objects.get(order=mine, date=D(2025, 3, 12), kind="actual")
    Shipment.objects.filter(pk=today.pk).update(quantity=1)  # 2000.20 → 1000.10, no save()
    assert money(build(manager))[RUB][:2] == (Decimal("1000.10"), Decimal("1500.10"))
    with time_machine.travel(NOW, tick=False):
        today.delete()
    assert money(build(manager))[RUB][:2] == (Decimal("0.00"), Decimal("500.00"))
    mine.counterparty.delete()  # the client in the trash: his orders' money goes with him
    assert RUB not in money(build(manager))
    assert money(build(head))[RUB][:2] == (Decimal("10000.00"), Decimal("10000.00"))


def test_expected_sales(world, head, manager):
    data = build(head)
    assert data["forecast_currencies"] == [RUB, EUR]
    empty = (0, {}, {})
    assert forecast(data) == {
        "overdue": (1, {RUB: Decimal("5000.00")}, {RUB: Decimal("4500.00")}),
        "2025-03": (2, {RUB: Decimal("1600.00")}, {RUB: Decimal("160.00")}),
        "2025-04": (1, {RUB: Decimal("2000.00")}, {RUB: Decimal("800.00")}),
        "2025-05": empty, "2025-06": empty, "2025-07": empty, "2025-08": empty,
        "later": (1, {RUB: Decimal("3000.00")}, {RUB: Decimal("2250.00")}),
        "none": (1, {EUR: Decimal("400.00")}, {EUR: Decimal("100.00")}),
    }
    assert [b.key for b in data["forecast"]][:3] == ["overdue", "2025-03", "2025-04"]
    mine = forecast(build(manager))
    assert set(mine) == {"2025-03", "2025-04", "2025-05", "2025-06", "2025-07", "2025-08"}
    assert mine["2025-03"] == (2, {RUB: Decimal("1600.00")}, {RUB: Decimal("160.00")})
    assert mine["2025-04"] == (1, {RUB: Decimal("2000.00")}, {RUB: Decimal("800.00")})


def test_open_deals_by_stage(world, head, manager):
    stages = world
    rows = [(stage.pk, count, sums) for stage, count, sums in build(head)["stages"]]
    assert rows == [
        (stages[0].pk, 2, [(RUB, Decimal("1600.00"))]),
        (stages[1].pk, 1, [(EUR, Decimal("400.00"))]),
        (stages[2].pk, 1, [(RUB, Decimal("2000.00"))]),
        (stages[3].pk, 1, [(RUB, Decimal("3000.00"))]),
        (stages[4].pk, 1, [(RUB, Decimal("5000.00"))]),
    ]  # won and lost stages are not open
    mine = [(count, sums) for _stage, count, sums in build(manager)["stages"]]
    assert mine == [(2, [(RUB, Decimal("1600.00"))]), (0, []), (1, [(RUB, Decimal("2000.00"))]), (0, []), (0, [])]


def test_contacts_and_tasks_per_employee(world, head, manager, teammate):
    def rows(user):
        return [(r.name, r.done_today, r.done_month, r.overdue, r.planned, r.overdue_tasks)
                for r in build(user)["employees"]]

    assert rows(head) == [("Anna Antonova", 1, 3, 2, 2, 1), ("Boris Borisov", 0, 1, 1, 0, 2)]
    assert build(head)["employee_totals"] == {"done_today": 1, "done_month": 4, "overdue": 3, "planned": 2,
                                              "overdue_tasks": 3}
    assert rows(manager) == [("Anna Antonova", 1, 3, 2, 2, 1)]
    assert rows(teammate) == [("Boris Borisov", 0, 1, 1, 0, 2)]


def test_page(world, client_for, head, manager):
    with time_machine.travel(NOW, tick=False):
        page = client_for(head).get(reverse("dashboard")).content.decode()
        assert "the whole company" in page
        assert "12,000.20 RUB" in page and "12,500.20 RUB" in page and "4,700.00 RUB" in page
        assert "301.00 EUR" in page
        assert 'id="dashboard-forecast-data"' in page and 'id="dashboard-stages-data"' in page
        assert "Anna Antonova" in page and "Boris Borisov" in page
        page = client_for(manager).get(reverse("dashboard")).content.decode()
        assert "your clients and deals" in page
        assert "2,500.20 RUB" in page and "12,500.20 RUB" not in page and "Boris Borisov" not in page


def test_home_page_by_role(client_for, admin_user, head, sales_head, manager, marketer):
    for user in (admin_user, head, sales_head):
        assert client_for(user).get(reverse("home")).url == reverse("dashboard")
    assert client_for(manager).get(reverse("home")).status_code == 200  # My day (core.myday), in place
    assert client_for(marketer).get(reverse("home")).url == reverse("clients:counterparty_list")


def test_fixed_number_of_queries(world, head, manager, teammate):
    """More rows, employees and currencies: the same queries, all grouped in the database."""
    def count(user):
        with CaptureQueriesContext(connection) as queries:
            build(user)
        return len(queries)

    build(head)  # the first call creates the analysis settings' row
    before, before_manager = count(head), count(manager)
    # 13 of sales and activities (16 for a head): the rollups, then what orders and clients in the
    # trash take off them, the deals of clients shared with a manager and the contacts of the partial
    # days; analytics: 1 clients at risk, 3 (6 with plans to
    # compare) the month's plan; service: 1 open and overdue complaints, 1 visits this week (heads),
    # 1 this month's survey answers
    assert before <= 23 and before_manager <= 22
    stages = world
    newcomer = UserFactory(role="sales_manager")
    with time_machine.travel(NOW, tick=False):
        cp = CounterpartyFactory(main_manager=newcomer)
        for i in range(20):
            obj, (line,) = order(cp, newcomer, currency=["USD", "MDL", RUB][i % 3], lines=[(i + 1, "10")])
            ship(line, D(2025, 3, 1 + i % 12), 1)
            pay(obj, D(2025, 3, 1 + i % 12), "5")
            DealFactory(responsible=newcomer, counterparty=cp, stage=stages[i % 5], currency=["USD", RUB][i % 2],
                        expected_close_date=D(2025, 1 + i % 12, 1))
            contact(cp, newcomer, moscow(D(2025, 3, 1 + i % 20), 10), Interaction.State.PLANNED)
    assert count(head) == before
    assert len(build(head)["employees"]) == 3 and len(build(head)["money"]) == 4
    assert count(manager) == before_manager
