import factory
from django.utils import timezone

from clients.tests.factories import CounterpartyFactory
from sales.models import Deal, Order, OrderFailureReason, OrderLine, Payment, Pipeline, Shipment


def default_stages():
    """The stages of the default pipeline (created by the data migration), in order."""
    return list(Pipeline.ensure_default().stages.order_by("order"))


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deal

    counterparty = factory.SubFactory(CounterpartyFactory)
    title = factory.Sequence(lambda n: f"Deal {n}")
    amount = 1000
    stage = factory.LazyFunction(lambda: default_stages()[0])


class OrderFactory(factory.django.DjangoModelFactory):
    """An order without lines; ``amount`` / ``cost`` are the denormalised totals (set them with the lines)."""

    class Meta:
        model = Order

    counterparty = factory.SubFactory(CounterpartyFactory)


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product = factory.Sequence(lambda n: f"Product {n}")
    quantity = 1
    price = 100
    cost = 60


class ShipmentFactory(factory.django.DjangoModelFactory):
    """An actual shipment of a line (of the line's order), today."""

    class Meta:
        model = Shipment

    line = factory.SubFactory(OrderLineFactory)
    order = factory.LazyAttribute(lambda o: o.line.order)
    kind = "actual"
    date = factory.LazyFunction(timezone.localdate)
    quantity = 1


class PaymentFactory(factory.django.DjangoModelFactory):
    """An actual payment (a receipt), today; ``kind="planned"`` makes an invoice due on ``date``."""

    class Meta:
        model = Payment

    order = factory.SubFactory(OrderFactory)
    kind = "actual"
    date = factory.LazyFunction(timezone.localdate)
    amount = 100


class OrderFailureReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderFailureReason

    name = factory.Sequence(lambda n: f"Reason {n}")
