"""SaleDay, an order's sales per day kept by database triggers (sales.sale_days), against the
shipments it copies: after every kind of write, through the models or around them."""

import datetime
from collections import defaultdict
from decimal import Decimal

import factory
import pytest
from django.db import connection, transaction

from core.tests.factories import UserFactory
from sales import sale_days
from sales.models import OrderLine, SaleDay, Shipment
from sales.tests.factories import OrderFactory as BaseOrderFactory
from sales.tests.factories import OrderLineFactory as BaseLineFactory
from sales.tests.factories import ShipmentFactory

pytestmark = pytest.mark.django_db
D1, D2, D3 = datetime.date(2026, 3, 1), datetime.date(2026, 3, 2), datetime.date(2026, 4, 1)
CENT = Decimal("0.01")


class OrderFactory(BaseOrderFactory):
    responsible = factory.SubFactory(UserFactory)


class OrderLineFactory(BaseLineFactory):
    order = factory.SubFactory(OrderFactory)
    quantity = 100  # enough to ship in parts


def expected():
    """{(order, date): (amount, cost, lines, first day of the order)} computed here from the
    live actual shipments."""
    days = defaultdict(lambda: [Decimal(0), Decimal(0), 0])
    shipments = Shipment.objects.filter(kind="actual", line__deleted_at__isnull=True).select_related("line")
    for s in shipments:
        day = days[(s.order_id, s.date)]
        day[0] += (s.quantity * s.line.price).quantize(CENT)
        day[1] += (s.quantity * s.line.cost).quantize(CENT)
        day[2] += 1
    first = {}
    for order, date in days:
        first[order] = min(first.get(order, date), date)
    return {key: (*value, key[1] == first[key[0]]) for key, value in days.items()}


def kept():
    return {(d.order_id, d.date): (d.amount, d.cost, d.lines, d.first_of_order) for d in SaleDay.objects.all()}


def check():
    assert kept() == expected()


def test_every_write_of_shipments_and_lines_keeps_the_sale_days():
    order = OrderFactory()
    other = OrderFactory()
    a = OrderLineFactory(order=order, price=Decimal("10.05"), cost=Decimal("3.33"))
    b = OrderLineFactory(order=order, price=Decimal("99.99"), cost=0)
    c = OrderLineFactory(order=other, price=7, cost=5)
    s1 = ShipmentFactory(line=a, date=D1, quantity=Decimal("1.5"))  # 15.075 → 15.08 (per line)
    s2 = ShipmentFactory(line=b, date=D1, quantity=2)
    ShipmentFactory(line=b, date=D2, quantity=1, kind="planned")  # not a sale
    s4 = ShipmentFactory(line=c, date=D3, quantity=3)
    assert kept()[(order.pk, D1)] == (Decimal("215.06"), Decimal("5.00"), 2, True)
    check()

    s1.quantity, s1.date = Decimal("2.125"), D2  # the model's save
    s1.save()
    check()
    s1.date = datetime.date(2026, 2, 1)  # now the order's first day
    s1.save()
    assert kept()[(order.pk, s1.date)][3] and not kept()[(order.pk, D1)][3]
    check()
    Shipment.objects.filter(pk=s2.pk).update(kind="planned")  # around the model
    check()
    Shipment.objects.filter(order=order, kind="planned").update(kind="actual", date=D3)
    check()
    a.price = Decimal("11.11")
    a.save()
    OrderLine.objects.filter(pk=c.pk).update(cost=Decimal("4.50"))
    check()
    s4.delete()  # the trash
    check()
    s4.restore()
    check()
    b.delete()
    check()
    b.restore()
    check()
    Shipment.objects.bulk_create([Shipment(order=other, line=c, kind="actual", date=D1, quantity=q)
                                  for q in (1, 2, 3)])
    check()
    s1.hard_delete()
    check()
    other.hard_delete()  # its lines, shipments and sale days go with it
    check()
    assert {o for o, _ in kept()} == {order.pk}


def test_planned_shipments_and_a_renamed_line_are_no_sales():
    line = OrderLineFactory(price=5)
    ShipmentFactory(line=line, date=D1, quantity=2)
    line.product = "Renamed"
    line.save()
    ShipmentFactory(line=line, date=D1, quantity=1, kind="planned")
    check()
    assert kept() == {(line.order_id, D1): (Decimal("10.00"), Decimal("120.00"), 1, True)}


def test_missing_triggers_are_recreated_after_migrate_and_the_table_rebuilt():
    line = OrderLineFactory(price=3)
    sale_days.drop(connection)
    ShipmentFactory(line=line, date=D1)  # written while nothing keeps the table
    assert kept() == {}
    sale_days.ensure(connection)
    assert sale_days.present(connection) == 4
    check()
    ShipmentFactory(line=line, date=D2)
    check()


def test_bulk_writes_refresh_once_and_bring_the_triggers_back():
    order = OrderFactory()
    line = OrderLineFactory(order=order, price=2)
    with transaction.atomic(), sale_days.bulk() as refresh:
        Shipment.objects.bulk_create([Shipment(order=order, line=line, kind="actual", date=D1, quantity=1)
                                      for _ in range(5)])
        refresh("SELECT %s", [order.pk])
    check()
    assert kept()[(order.pk, D1)][2] == 5
    assert sale_days.present(connection) == 4
    with pytest.raises(RuntimeError, match="boom"), transaction.atomic(), sale_days.bulk():
        raise RuntimeError("boom")
    assert sale_days.present(connection) == 4  # the rollback (SQLite) or nothing dropped (PostgreSQL)
    ShipmentFactory(line=line, date=D2)
    check()


def test_rebuild_recomputes_everything():
    ShipmentFactory(line=OrderLineFactory(price=4), date=D1, quantity=3)
    SaleDay.objects.all().delete()
    assert sale_days.rebuild() == 1
    check()
