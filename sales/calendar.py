"""Expected shipments and payments of orders in the user calendar (registered from ``SalesConfig.ready()``)."""

from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.services import search_q
from core import access, registry
from core.calendar import NORMAL_IMPORTANCE, Event, Source, object_url
from core.templatetags.klientura import money
from core.working_time import workday_bounds

from .models import Order, Payment, PlanFact, Shipment
from .services.orders import OPEN_STATES, quantity_text, with_coverage


class OrderPlanSource(Source):
    """Expected shipments or payments (invoice due dates) of the owner's orders, at the end of the
    working day they are due. Active while the order is open and the actual ones do not cover them
    yet (FIFO, see sales.services.orders); moved on the order card, not by dragging."""

    counterparty_path = "order__counterparty"
    client_search = staticmethod(search_q)
    type_label = ""

    def queryset(self, viewer, owner, start, end, filters):
        model = self.row_model
        if not filters.wants_importance(NORMAL_IMPORTANCE):  # plans have no importance
            return model.objects.none()
        first, last = timezone.localdate(start), timezone.localdate(end - timedelta(microseconds=1))
        qs = (model.objects.restrict(viewer, access.VIEW)
              .filter(order__responsible=owner, kind=PlanFact.PLANNED, date__gte=first, date__lte=last)
              .exclude(order__state=Order.State.FAILED)
              .select_related("order__counterparty"))
        qs = with_coverage(self.filter_counterparty(qs, viewer, filters))
        if not filters.include_done:
            qs = qs.filter(order__state__in=OPEN_STATES, planned_upto__gt=F("actual_total"))
        return qs

    def is_active(self, obj):
        return obj.order.state in OPEN_STATES and obj.uncovered > 0

    def when(self, obj):
        return datetime.combine(obj.date, workday_bounds()[1], tzinfo=timezone.get_current_timezone())

    def event(self, obj):
        order = obj.order
        return Event(
            kind=self.kind, id=obj.pk, title=self.title(obj), time=self.when(obj), active=self.is_active(obj),
            type_key=self.kind, type_name=str(self.type_label), counterparty_id=order.counterparty_id,
            counterparty_name=order.counterparty.name, description=obj.comment, url=object_url(order), obj=obj)


class ShipmentSource(OrderPlanSource):
    kind = "shipment"
    label = gettext_lazy("Expected shipments")
    type_label = gettext_lazy("Expected shipment")
    row_model = Shipment

    def queryset(self, viewer, owner, start, end, filters):
        qs = super().queryset(viewer, owner, start, end, filters)
        return qs.filter(line__deleted_at__isnull=True).select_related("line")

    def title(self, obj):
        quantity = quantity_text(obj.uncovered if obj.uncovered > 0 else obj.quantity)
        return _("Shipment: %(product)s × %(quantity)s, order %(number)s") % {
            "product": obj.line.product, "quantity": quantity, "number": obj.order.number}


class PaymentSource(OrderPlanSource):
    kind = "payment"
    label = gettext_lazy("Expected payments")
    type_label = gettext_lazy("Expected payment")
    row_model = Payment

    def title(self, obj):
        amount = money(obj.uncovered if obj.uncovered > 0 else obj.amount, obj.order.currency)
        if obj.invoice_number:
            return _("Payment due: %(amount)s, invoice %(invoice)s, order %(number)s") % {
                "amount": amount, "invoice": obj.invoice_number, "number": obj.order.number}
        return _("Payment due: %(amount)s, order %(number)s") % {"amount": amount, "number": obj.order.number}


def register():
    """Called from ``SalesConfig.ready()``: after the activities' sources (interactions, tasks, reminders)."""
    registry.calendar_sources.register("shipment", ShipmentSource(), order=40)
    registry.calendar_sources.register("payment", PaymentSource(), order=50)
