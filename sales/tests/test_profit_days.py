"""ProfitDay, ClientDay and ProductDay — the orders with income of a day and their lines, kept by
database triggers (core.rollups, with the order and the client read through subqueries) — against
the orders they sum; and the profitability report read from them against the report read from
the orders themselves, for a head and for a sales manager."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from clients.models import Counterparty, CounterpartyShare
from clients.tests.factories import CounterpartyFactory
from core import rollups
from sales import rollups as sales_rollups
from sales.models import ClientDay, Order, OrderLine, ProductDay, ProfitDay
from sales.services import reports
from sales.tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db
CENT = Decimal("0.01")
D1, D2, D3 = dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 4, 1)
INCOME = (Order.State.CONFIRMED, Order.State.COMPLETED)


def money(value):
    return Decimal(value).quantize(CENT)  # SQLite sums decimals as floats


def expected():
    profit, clients, products = defaultdict(list), defaultdict(list), defaultdict(list)
    for o in Order.objects.filter(state__in=INCOME).select_related("counterparty"):
        client = Counterparty.all_objects.get(pk=o.counterparty_id)
        manager = client.main_manager_id or 0
        profit[(o.date, o.currency, o.responsible_id, manager)].append((o.amount, o.cost))
        if client.deleted_at is None:
            clients[(manager, o.date, o.counterparty_id, client.name, o.currency, o.responsible_id)].append(
                (o.amount, o.cost))
        for line in OrderLine.objects.filter(order=o):
            product = (line.catalog_product_id or 0, "" if line.catalog_product_id else line.product)
            products[(o.date, o.currency, o.responsible_id, manager, *product)].append(
                (line.quantity, line.quantity * line.price, line.quantity * line.cost))

    def summed(groups, width):
        return {key: (len(rows), *(money(sum(r[i] for r in rows)) for i in range(width)))
                for key, rows in groups.items()}

    return summed(profit, 2), summed(clients, 2), summed(products, 3)


def kept():
    profit = {(d.date, d.currency, d.responsible_id, d.client_manager): (d.count, money(d.amount), money(d.cost))
              for d in ProfitDay.objects.all() if d.count}
    clients = {(d.client_manager, d.date, d.counterparty_id, d.name, d.currency, d.responsible_id):
               (d.count, money(d.amount), money(d.cost)) for d in ClientDay.objects.all() if d.count}
    products = {(d.date, d.currency, d.responsible_id, d.client_manager, d.catalog_product, d.name):
                (d.count, money(d.quantity), money(d.income), money(d.cost)) for d in ProductDay.objects.all()
                if d.count}
    return profit, clients, products


def check():
    assert kept() == expected()


def order(client, responsible, date=D1, state=Order.State.CONFIRMED, lines=((2, "10.05", "7"),), currency="RUB"):
    o = OrderFactory(counterparty=client, responsible=responsible, date=date, state=state, currency=currency,
                     amount=sum((Decimal(q) * Decimal(p) for q, p, _c in lines), Decimal(0)).quantize(CENT),
                     cost=sum((Decimal(q) * Decimal(c) for q, _p, c in lines), Decimal(0)).quantize(CENT))
    for q, p, c in lines:
        OrderLineFactory(order=o, quantity=Decimal(q), price=Decimal(p), cost=Decimal(c), product="Widget")
    return o


def test_every_write_of_orders_lines_and_clients_keeps_the_days(manager, teammate):
    alpha = CounterpartyFactory(name="Alpha", main_manager=manager)
    beta = CounterpartyFactory(name="Beta", main_manager=teammate)
    a = order(alpha, manager, lines=((2, "10.05", "7"), ("1.5", "3.33", "1")))
    b = order(beta, teammate, D2, currency="EUR")
    draft = order(alpha, teammate, state=Order.State.DRAFT)
    check()
    draft.state = Order.State.COMPLETED  # a parent's state: its lines come in
    draft.save()
    check()
    Order.objects.filter(pk=a.pk).update(date=D3, currency="USD", responsible=teammate)  # around the model
    check()
    Order.objects.filter(pk=b.pk).update(state=Order.State.FAILED)
    check()
    Counterparty.objects.filter(pk=alpha.pk).update(main_manager=teammate, name="Alpha Ltd")  # the grandparent
    check()
    Counterparty.objects.filter(pk=beta.pk).update(main_manager=None)
    check()
    line = OrderLine.objects.filter(order=a).first()
    OrderLine.objects.filter(pk=line.pk).update(quantity=5, price=Decimal("2.5"))
    check()
    line.delete()  # the trash
    check()
    line.restore()
    check()
    a.delete()
    check()
    a.restore()
    check()
    alpha.refresh_from_db()
    alpha.delete()  # a client in the trash: out of ClientDay only
    check()
    alpha.restore()
    check()
    Order.objects.filter(pk=draft.pk).update(counterparty=beta)  # a merge moves orders
    check()
    Order.all_objects.filter(pk=a.pk).delete()  # for good, with its lines
    check()
    for rollup in (sales_rollups.PROFIT_DAYS, sales_rollups.CLIENT_DAYS, sales_rollups.PRODUCT_DAYS):
        rollups.rebuild(rollup)
    check()


@pytest.fixture
def book(manager, teammate, sales_head):
    """A manager's own clients (one with an order of the teammate's), a client shared with him, one of
    the teammate's where he is the responsible, a client in the trash, orders in the trash, drafts."""
    own = [CounterpartyFactory(name=f"Own {i}", main_manager=manager) for i in range(4)]
    shared = CounterpartyFactory(name="Shared", main_manager=teammate)
    CounterpartyShare.objects.create(counterparty=shared, user=manager)
    other = CounterpartyFactory(name="Other", main_manager=teammate)
    nobody = CounterpartyFactory(name="Nobody", main_manager=None)
    trashed = CounterpartyFactory(name="Trashed", main_manager=manager)
    for i, client in enumerate(own):
        for day in range(i + 1):
            order(client, manager, D1 + dt.timedelta(days=day), lines=((day + 1, "100", "60"),))
    order(own[0], teammate, D2, lines=((1, "55.55", "11"),))
    order(shared, teammate, D1, lines=((3, "10", "1"),))
    order(shared, manager, D2, currency="EUR")
    order(other, manager, D1)
    order(other, teammate, D1, lines=((9, "9", "9"),))  # not his
    order(nobody, manager, D2)
    order(trashed, manager, D1)
    trashed.delete()
    order(own[1], manager, D1).delete()
    order(own[2], manager, D1, state=Order.State.DRAFT)
    order(own[3], manager, dt.date(2026, 5, 1))  # out of the period
    return dt.date(2026, 3, 1), dt.date(2026, 4, 30)


def report(user, start, end, **filters):
    period = reports.Period(start, end)
    months = reports.profit_months(user, period, **filters)
    orders = reports.profitability_orders(user, period, **filters)
    clients = reports.clients_with_income(user, period, **filters)
    if clients is not None:
        orders = reports.ClientOrders(orders, clients)
    return {
        "totals": [(t.currency, t.orders, t.income, t.cost) for t in reports.profitability_totals(months)],
        "months": sorted((m["currency"], m["month"], m["n"], money(m["income"]), money(m["cost"])) for m in months),
        "products": [(p.name, p.currency, p.quantity, p.income, p.cost)
                     for p in reports.sales_by_product(user, period, **filters)],
        "head": reports.ClientProfits(user, period, clients, **filters).head(4),
        "clients": list(reports.ClientProfits(user, period, clients, **filters)),
        "orders": [o.pk for o in orders[0:1000]],
        "window": [[o.pk for o in orders[start:start + 3]] for start in range(0, 15)],
    }


@pytest.mark.parametrize("persona", ["sales_head", "manager"])
@pytest.mark.parametrize("responsible", [False, True])
def test_the_report_reads_the_rollups_as_it_reads_the_orders(persona, responsible, book, request, monkeypatch):
    monkeypatch.setattr(reports.WalkedClients, "BATCH", 2)  # the walk's batches end inside a page
    monkeypatch.setattr(reports.ManagerClients, "BATCH", 4)  # and a client's parts across batches
    user = request.getfixturevalue(persona)
    filters = {"responsible": [request.getfixturevalue("manager")] if responsible else ()}
    fast = report(user, *book, **filters)
    assert fast["totals"] and fast["products"] and len(fast["orders"]) > 5
    monkeypatch.setattr(reports, "reads_profit", lambda user, client="": False)  # every figure from the orders
    monkeypatch.setattr(reports.ManagerClients, "serves", classmethod(lambda cls, user: False))
    monkeypatch.setattr(reports.WalkedClients, "serves", classmethod(lambda cls, user: False))
    monkeypatch.setattr(reports.ClientProfits, "head", lambda self, n: list(self.grouped()[:n]))  # no walk
    slow = report(user, *book, **filters)
    slow["window"] = [slow["orders"][start:start + 3] for start in range(0, 15)]
    assert fast == slow
    names = {row["counterparty__name"] for row in fast["clients"]}
    assert "Trashed" not in names
    if persona == "manager":
        assert names == {"Own 0", "Own 1", "Own 2", "Own 3", "Shared", "Other", "Nobody"}
        assert fast["head"] == slow["head"] == fast["clients"][:4]
