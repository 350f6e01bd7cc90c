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


# --- Samples and probes for the generated access matrix (core/tests/test_access_matrix.py) ------

def _register_matrix():
    from django.core.files.base import ContentFile

    from clients.models import Counterparty
    from core import access
    from core.tests import samples
    from sales.models import DealLine, Document

    @samples.sample(Deal)
    def deal_sample(world):
        return DealFactory(counterparty=world.get(Counterparty), responsible=world.owner, title=world.text("deal"))

    @samples.sample(DealLine)
    def deal_line_sample(world):
        return DealLine.objects.create(deal=world.get(Deal), product=world.text("deal line"), price=10)

    @samples.sample(Order)
    def order_sample(world):
        return OrderFactory(counterparty=world.get(Counterparty), responsible=world.owner,
                            number=world.token, comment=world.text("order"))

    @samples.sample(OrderLine)
    def order_line_sample(world):
        return OrderLineFactory(order=world.get(Order), product=world.text("order line"), quantity=5)

    @samples.sample(Shipment)
    def shipment_sample(world):
        # Planned, so that "mark as done" has something to do.
        return ShipmentFactory(line=world.get(OrderLine), kind="planned", comment=world.text("shipment"))

    @samples.sample(Payment)
    def payment_sample(world):
        return PaymentFactory(order=world.get(Order), kind="planned", invoice_number=world.token,
                              comment=world.text("payment"))

    @samples.sample(Document)
    def document_sample(world):
        deal = world.get(Deal)
        return Document.objects.create(
            counterparty=deal.counterparty, deal=deal, kind="proposal", format="docx",
            title=world.text("document"), created_by=world.owner,
            file=ContentFile(b"sample", name="sample.docx"))

    def pipeline(world):
        return {"pk": world.get(Deal).stage.pipeline_id}

    def next_stage(world, deal):
        stage = deal.stage.pipeline.stages.exclude(pk=deal.stage_id).filter(kind="open").first()
        return {"stage": stage.pk, "version": deal.version}

    today = timezone.localdate

    def shipment_form(world, order):
        return {"shipment-line": world.get(OrderLine).pk, "shipment-kind": "planned",
                "shipment-date": today().isoformat(), "shipment-quantity": "1"}

    def payment_form(world, order):
        return {"payment-kind": "planned", "payment-date": today().isoformat(), "payment-amount": "10"}

    # UI routes that are not generic list / card / edit / delete views.
    samples.probe("sales:deal_move", method="post", action=access.CHANGE, target=Deal, data=next_stage)
    samples.probe("sales:board_default", kind="list", positive=False)  # a redirect to the board
    samples.probe("sales:board", kind="list", kwargs=pipeline)
    samples.probe("sales:order_state", method="post", action=access.CHANGE, target=Order,
                  data=lambda world, order: {"state": "completed", "force": "on", "version": order.version})
    samples.probe("sales:order_shipment_add", method="post", action=access.CHANGE, target=Order, data=shipment_form)
    samples.probe("sales:order_payment_add", method="post", action=access.CHANGE, target=Order, data=payment_form)
    samples.probe("sales:order_shipment_done", method="post", action=access.CHANGE, target=Shipment)
    samples.probe("sales:order_payment_done", method="post", action=access.CHANGE, target=Payment)
    samples.probe("sales:order_shipment_delete", method="post", action=access.DELETE, target=Shipment)
    samples.probe("sales:order_payment_delete", method="post", action=access.DELETE, target=Payment)
    samples.probe("sales:document_generate", method="post", action=access.CHANGE, target=Deal,
                  kwargs=lambda world: {},
                  data=lambda world, deal: {"deal": deal.pk, "kind": "proposal", "format": "docx"})
    samples.probe("sales:document_download", target=Document)
    # The order form's deal select of the owner's client: for who may see them only.
    samples.probe("sales:order_deals", kind="list", positive=False,
                  data=lambda world, _row: {"counterparty": world.get(Counterparty).pk})
    for tab in ("deals", "orders", "documents"):
        samples.probe(f"sales:card_{tab}", target=Counterparty)
    # API actions beyond CRUD, history and restore.
    samples.probe("api:deal-move", method="post", action=access.CHANGE, target=Deal, data=next_stage)
    samples.probe("api:deal-stages", target=Deal)
    samples.probe("api:document-download", target=Document)
    # A deal one may not change is not a valid choice there: 400 "invalid pk", naming nothing.
    samples.probe("api:document-generate", method="post", action=access.CHANGE, target=Deal,
                  kwargs=lambda world: {}, extra={"api_denied": 400},
                  data=lambda world, deal: {"deal": deal.pk, "kind": "proposal", "format": "docx"})


_register_matrix()
