"""RevenueDay and PaymentDay, a day's money per currency kept by database triggers (core.rollups,
with the order's currency read through the order), against the sale days and payments they sum;
and their reader against the rows themselves."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import factory
import pytest

from core import rollups
from core.tests.factories import UserFactory
from sales import rollups as sales_rollups
from sales.models import Order, Payment, PaymentDay, RevenueDay, SaleDay, Shipment
from sales.tests.factories import OrderFactory as BaseOrderFactory
from sales.tests.factories import OrderLineFactory, PaymentFactory, ShipmentFactory

pytestmark = pytest.mark.django_db
CENT = Decimal("0.01")
D1, D2 = dt.date(2026, 3, 2), dt.date(2026, 3, 3)


class OrderFactory(BaseOrderFactory):
    responsible = factory.SubFactory(UserFactory)


def expected():
    revenue, paid = defaultdict(lambda: [0, Decimal(0)]), defaultdict(lambda: [0, Decimal(0)])
    for day in SaleDay.objects.select_related("order"):
        group = revenue[(day.date, day.order.currency)]
        group[0] += 1
        group[1] += day.amount
    for payment in Payment.objects.filter(kind="actual").select_related("order"):  # not in the trash
        group = paid[(payment.date, payment.order.currency)]
        group[0] += 1
        group[1] += payment.amount
    return {key: tuple(v) for key, v in revenue.items()}, {key: tuple(v) for key, v in paid.items()}


def kept():
    # SQLite sums decimals as floats: round back to cents.
    return tuple({(d.date, d.currency): (d.count, Decimal(d.amount).quantize(CENT)) for d in model.objects.all()
                  if d.count} for model in (RevenueDay, PaymentDay))


def check():
    assert kept() == expected()


def shipped(order, date, price="10.05", quantity=2):
    line = OrderLineFactory(order=order, price=Decimal(price), quantity=quantity)
    return ShipmentFactory(line=line, date=date, quantity=quantity)


def test_every_write_of_sale_days_payments_and_orders_keeps_the_days():
    a, b = OrderFactory(currency="RUB"), OrderFactory(currency="EUR")
    shipped(a, D1)
    shipped(a, D1, "3.33", 3)
    shipped(a, D2)
    shipped(b, D1, "7")
    pay = PaymentFactory(order=a, date=D1, amount=Decimal("50.50"))
    PaymentFactory(order=b, date=D2, amount=Decimal("7"))
    PaymentFactory(order=a, date=D1, kind="planned", amount=Decimal("999"))  # an invoice: not money in
    check()
    Order.objects.filter(pk=a.pk).update(currency="USD")  # the parent's key, around the model
    check()
    b.currency = "RUB"
    b.save()
    check()
    Order.objects.filter(pk=a.pk).update(comment="nothing the days read")
    check()
    Payment.objects.filter(pk=pay.pk).update(date=D2, amount=Decimal("60"))
    check()
    pay.delete()  # the trash
    check()
    pay.restore()
    check()
    Shipment.objects.filter(order=a, date=D2).delete()
    check()
    Payment.objects.bulk_create([Payment(order=b, kind="actual", date=D1, amount=Decimal(i)) for i in (1, 2)])
    check()
    Order.all_objects.filter(pk=b.pk).delete()  # for good, with its rows
    check()
    for rollup in (sales_rollups.REVENUE_DAYS, sales_rollups.PAYMENT_DAYS):
        assert rollups.rebuild(rollup)
    check()


def test_the_reader_takes_off_orders_and_clients_in_the_trash():
    kept_order, trashed_order, of_trashed_client = (OrderFactory(currency="RUB") for _ in range(3))
    for order in (kept_order, trashed_order, of_trashed_client):
        shipped(order, D1, "100", 1)
        shipped(order, D2, "10", 1)
        PaymentFactory(order=order, date=D2, amount=Decimal("5"))
    euro = OrderFactory(currency="EUR")
    shipped(euro, D1, "1", 1)
    trashed_order.delete()
    of_trashed_client.counterparty.delete()
    revenue = sales_rollups.money_days(SaleDay, D1, D2 + dt.timedelta(days=1), D2)
    assert {c: (Decimal(a).quantize(CENT), Decimal(b).quantize(CENT)) for c, (a, b) in revenue.items()} == {
        "RUB": (Decimal("10.00"), Decimal("110.00")), "EUR": (Decimal("0.00"), Decimal("1.00"))}
    paid = sales_rollups.money_days(Payment, D1, D2 + dt.timedelta(days=1), D2)
    assert {c: Decimal(b).quantize(CENT) for c, (_a, b) in paid.items()} == {"RUB": Decimal("5.00")}
    euro.delete()  # its only currency's rows all hidden: the currency goes
    assert "EUR" not in sales_rollups.money_days(SaleDay, D1, D2 + dt.timedelta(days=1), D2)
