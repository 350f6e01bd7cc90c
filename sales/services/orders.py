"""Orders: line totals, shipment and payment checks, state changes, order analysis, payment reminders.

* ``recalc(order)`` keeps ``Order.amount`` / ``Order.cost`` equal to the sums of the live lines;
  every line save or delete (views, API, demo data) calls it.
* Planned shipments and payments (invoices) are matched with the actual ones first-in-first-out:
  a plan is *covered* once the actual total reaches the running total of the plans up to it.
  The calendar and the payment reminders show only plans that are not covered yet.
* ``analysis(orders)``: ordered / shipped / left / paid / owed per line and per order. An
  order's receipts are allocated to its lines in line order (FIFO).
"""

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Least
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from activities.models import Task
from activities.services import notifications
from core.models import ConflictError
from core.templatetags.klientura import money
from core.working_time import is_working_day, next_working_day, workday_bounds

from ..models import Order, OrderLine, Payment, PlanFact, Shipment

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
MILLI = Decimal("0.001")  # quantities have three decimal places
ZERO = Decimal("0")
# Sums of quantity × price keep every digit until rounded once to cents (SQLite computes in floats).
PRODUCT = DecimalField(max_digits=32, decimal_places=5)
MONEY = DecimalField(max_digits=20, decimal_places=2)
QUANTITY = DecimalField(max_digits=20, decimal_places=3)
OPEN_STATES = (Order.State.DRAFT, Order.State.CONFIRMED)
REMINDER_WORKING_DAYS = 3


# --- Totals ------------------------------------------------------------------------------------

def recalc(order):
    """Store Σ quantity × price and Σ quantity × unit cost of the order's live lines on the order.

    One aggregate query and one UPDATE (no version bump: the totals are derived, not edited).
    """
    totals = OrderLine.objects.filter(order_id=order.pk).aggregate(
        amount=Sum(F("quantity") * F("price"), output_field=PRODUCT),
        cost=Sum(F("quantity") * F("cost"), output_field=PRODUCT))
    amount = (totals["amount"] or ZERO).quantize(CENT)
    cost = (totals["cost"] or ZERO).quantize(CENT)
    Order.all_objects.filter(pk=order.pk).update(amount=amount, cost=cost)
    order.amount, order.cost = amount, cost
    return order


# --- Checks ------------------------------------------------------------------------------------

def quantity_text(value):
    """A quantity without trailing zeros, in the active locale (2.500 → "2,5")."""
    value = Decimal(value)
    places = max(0, -value.normalize().as_tuple().exponent)
    return formats.number_format(value, places)


def check_shipment(shipment):
    """Refuse more than is left on the line: actual shipments against the ordered quantity, and
    planned ones likewise (the plan cannot promise more than was ordered)."""
    line = shipment.line
    if line is None or shipment.quantity is None:
        return
    if line.is_deleted:
        raise ValidationError({"line": _("This line was deleted from the order.")})
    others = (Shipment.objects.filter(line_id=line.pk, kind=shipment.kind).exclude(pk=shipment.pk)
              .aggregate(total=Sum("quantity"))["total"] or ZERO)
    left = max(line.quantity - others, ZERO)
    if shipment.quantity <= left:
        return
    values = {"left": quantity_text(left), "line": line.product, "ordered": quantity_text(line.quantity),
              "done": quantity_text(others)}
    if shipment.kind == PlanFact.ACTUAL:
        text = _("Only %(left)s of “%(line)s” is left to ship: ordered %(ordered)s, shipped %(done)s.")
    else:
        text = _("Only %(left)s of “%(line)s” is left to plan: ordered %(ordered)s, planned %(done)s.")
    raise ValidationError({"quantity": text % values})


def check_payment(payment):
    if payment.amount is not None and payment.amount <= 0:
        raise ValidationError({"amount": _("The amount must be more than zero.")})


def save_shipment(shipment):
    """Validate and save under a lock of the line, so two users cannot together ship too much."""
    with transaction.atomic():
        shipment.line = OrderLine.all_objects.select_for_update().get(pk=shipment.line_id)
        shipment.full_clean()
        check_shipment(shipment)
        shipment.save()
    return shipment


def save_payment(payment):
    payment.full_clean()
    check_payment(payment)
    payment.save()
    return payment


def check_line_change(line, quantity=None, deleting=False):
    """A line cannot drop below what was already shipped, nor go while it has actual shipments."""
    if not line.pk:
        return
    shipped = (Shipment.objects.filter(line_id=line.pk, kind=PlanFact.ACTUAL)
               .aggregate(total=Sum("quantity"))["total"] or ZERO)
    if deleting and shipped:
        raise ValidationError(_("“%(line)s” has been shipped: it cannot be deleted.") % {"line": line.product})
    if quantity is not None and quantity < shipped:
        raise ValidationError({"quantity": _("%(shipped)s of “%(line)s” has already been shipped.") % {
            "shipped": quantity_text(shipped), "line": line.product}})


# --- Plans against facts (FIFO) ------------------------------------------------------------------

def with_coverage(qs):
    """Planned payments (per order) or shipments (per line) annotated with ``planned_upto``, the
    running total of the plans by date up to this one, ``actual_total``, the sum of the actual
    ones, and ``uncovered``: how much of this plan the actual ones do not cover (≤ its own value)."""
    model = qs.model
    group, value, output = ("order", "amount", MONEY) if model is Payment else ("line", "quantity", QUANTITY)
    same_group = model.objects.filter(**{group: OuterRef(group)})
    upto = same_group.filter(kind=PlanFact.PLANNED).filter(
        Q(date__lt=OuterRef("date")) | Q(date=OuterRef("date"), pk__lte=OuterRef("pk")))
    actual = same_group.filter(kind=PlanFact.ACTUAL)
    zero = Value(ZERO, output_field=output)

    def total(rows):
        return Coalesce(Subquery(rows.values(group).annotate(total=Sum(value)).values("total")[:1],
                                 output_field=output), zero)

    qs = qs.annotate(planned_upto=total(upto), actual_total=total(actual))
    return qs.annotate(uncovered=Least(F(value), F("planned_upto") - F("actual_total"), output_field=output))


def uncovered(qs):
    """Only the plans the actual shipments / payments do not fully cover yet."""
    return with_coverage(qs).filter(planned_upto__gt=F("actual_total"))


# --- Order analysis --------------------------------------------------------------------------------

@dataclass
class LineAnalysis:
    line: OrderLine
    ordered_qty: Decimal
    ordered: Decimal
    shipped_qty: Decimal
    shipped: Decimal
    left_qty: Decimal
    paid: Decimal = ZERO

    @property
    def left(self):
        return (self.left_qty * self.line.price).quantize(CENT)

    @property
    def owed(self):
        return self.ordered - self.paid

    @property
    def debt(self):
        """Shipped but not paid for."""
        return max(self.shipped - self.paid, ZERO)


@dataclass
class OrderAnalysis:
    order: Order
    lines: list = field(default_factory=list)
    paid: Decimal = ZERO
    invoiced: Decimal = ZERO

    @property
    def currency(self):
        return self.order.currency

    @property
    def ordered(self):
        return sum((line.ordered for line in self.lines), ZERO)

    @property
    def shipped(self):
        return sum((line.shipped for line in self.lines), ZERO)

    @property
    def left(self):
        return sum((line.left for line in self.lines), ZERO)

    @property
    def owed(self):
        """Ordered minus paid; below zero when the client paid more than ordered."""
        return self.ordered - self.paid

    @property
    def debt(self):
        return max(self.shipped - self.paid, ZERO)

    @property
    def fully_shipped(self):
        return bool(self.lines) and all(line.left_qty <= 0 for line in self.lines)

    @property
    def fully_paid(self):
        return bool(self.lines) and self.paid >= self.ordered

    @property
    def done(self):
        return self.fully_shipped and self.fully_paid


def analysis(orders):
    """OrderAnalysis of each order (a queryset or a list, e.g. one page), in the given order.

    Two aggregate queries whatever the number of orders: the lines with their shipped quantity,
    and the receipts and invoices per order.
    """
    orders = list(orders)
    result = {order.pk: OrderAnalysis(order) for order in orders}
    if not result:
        return []
    shipped = Sum("shipments__quantity", filter=Q(shipments__kind=PlanFact.ACTUAL,
                                                  shipments__deleted_at__isnull=True))
    lines = (OrderLine.objects.filter(order_id__in=result).select_related("catalog_product")
             .annotate(shipped_qty=Coalesce(shipped, ZERO))
             .order_by("order_id", "pk"))
    for line in lines:
        line.order = result[line.order_id].order  # no query per line for line.order
        shipped_qty = Decimal(line.shipped_qty).quantize(MILLI)
        result[line.order_id].lines.append(LineAnalysis(
            line=line, ordered_qty=line.quantity, ordered=line.total, shipped_qty=shipped_qty,
            shipped=(shipped_qty * line.price).quantize(CENT), left_qty=max(line.quantity - shipped_qty, ZERO)))
    payments = (Payment.objects.filter(order_id__in=result).values("order_id")
                .annotate(paid=Sum("amount", filter=Q(kind=PlanFact.ACTUAL)),
                          invoiced=Sum("amount", filter=Q(kind=PlanFact.PLANNED))))
    for row in payments:
        item = result[row["order_id"]]
        item.paid, item.invoiced = row["paid"] or ZERO, row["invoiced"] or ZERO
    for item in result.values():
        _allocate(item)
    return [result[order.pk] for order in orders]


def _allocate(item):
    """Receipts go to the lines in line order, each up to its amount (first in, first out)."""
    left = item.paid
    for line in item.lines:
        line.paid = min(line.ordered, max(left, ZERO))
        left -= line.paid


def analysis_of(order):
    return analysis([order])[0]


# --- State -------------------------------------------------------------------------------------

# The moves the order card offers: confirm a draft, complete or fall through an open order, reopen
# a closed one. Going back to a draft, or from completed straight to fell through, is not one.
TRANSITIONS = {
    Order.State.DRAFT: {Order.State.CONFIRMED, Order.State.COMPLETED, Order.State.FAILED},
    Order.State.CONFIRMED: {Order.State.COMPLETED, Order.State.FAILED},
    Order.State.COMPLETED: {Order.State.CONFIRMED},
    Order.State.FAILED: {Order.State.CONFIRMED},
}


def may_change_state(order, state):
    """Whether ``order`` may move to ``state`` (staying where it is always may)."""
    return state == order.state or state in TRANSITIONS.get(order.state, ())


def change_state(order, state, *, version, reason=None, comment=None, force=False):
    """Move ``order`` to ``state`` as of ``version`` (ConflictError if stale).

    Falling through needs a reason (Order.clean); completing needs the order fully shipped and
    paid unless the user completes it explicitly (``force``).
    """
    if state == Order.State.COMPLETED and not force and not analysis_of(order).done:
        raise ValidationError(_("The order is not fully shipped and paid yet. Complete it anyway only "
                                "if nothing more will be shipped or paid."))
    order.version = version
    order.state = state
    order.failure_reason = reason if state == Order.State.FAILED else None
    if state == Order.State.FAILED and comment is not None:
        order.failure_comment = comment
    order.full_clean()
    order.save()
    return order


def complete_if_done(order):
    """An order in progress that is now fully shipped and paid is completed; returns True if so."""
    if order.state != Order.State.CONFIRMED or not analysis_of(order).done:
        return False
    order.state = Order.State.COMPLETED
    try:
        with transaction.atomic():
            order.save()
    except ConflictError:
        return False  # someone is changing the order right now: they decide
    return True


# --- Payment reminders ---------------------------------------------------------------------------

def previous_working_day(day):
    for _i in range(400):
        day -= dt.timedelta(days=1)
        if is_working_day(day):
            return day
    raise ValueError("No working day within a year: check the working calendar settings")


def reminder_day(due_date, days=REMINDER_WORKING_DAYS):
    """The working day ``days`` working days before the invoice's due date."""
    for _i in range(days):
        due_date = previous_working_day(due_date)
    return due_date


def last_due_date(today, days=REMINDER_WORKING_DAYS):
    """The latest due date whose reminder day is ``today`` or earlier (``days`` working days ahead)."""
    for _i in range(days):
        today = next_working_day(today)
    return today


def call_deadline(due_date):
    """The end of the last working day on or before the due date."""
    day = due_date if is_working_day(due_date) else previous_working_day(due_date)
    return timezone.make_aware(dt.datetime.combine(day, workday_bounds()[1]))


def reminders_due(now=None):
    """Invoices of open orders whose reminder day has come, not paid yet and without a reminder."""
    today = timezone.localdate(now or timezone.now())
    qs = Payment.objects.filter(
        kind=PlanFact.PLANNED, reminder_task__isnull=True, date__gte=today, date__lte=last_due_date(today),
        order__state__in=OPEN_STATES, order__deleted_at__isnull=True, order__counterparty__deleted_at__isnull=True)
    return uncovered(qs)


def create_payment_reminders(now=None):
    """"Call about payment" tasks for the responsible of each due invoice; returns the tasks made.

    Idempotent: an invoice's ``reminder_task`` is claimed with a conditional UPDATE in the same
    transaction that creates the task, so a second run or a second worker creates nothing.
    """
    now = now or timezone.now()
    created = []
    for pk in list(reminders_due(now).values_list("pk", flat=True)[:500]):
        try:
            task = _remind(pk, now)
        except Exception:
            logger.exception("Payment reminder for invoice %s failed", pk)  # rolled back: retried next run
            continue
        if task is not None:
            created.append(task)
    return created


def _remind(pk, now):
    with transaction.atomic():
        payment = (reminders_due(now).filter(pk=pk)
                   .select_related("order__responsible", "order__counterparty").first())
        if payment is None:
            return None  # paid, closed or claimed meanwhile
        order = payment.order
        with notifications.in_language_of(order.responsible):  # stored texts: the assignee's language
            title, description = reminder_title(payment)[:200], _reminder_description(payment)
        task = Task.objects.create(
            title=title, description=description,
            author=order.responsible, assignee=order.responsible, counterparty=order.counterparty,
            deadline=call_deadline(payment.date))
        claimed = Payment.objects.filter(pk=pk, reminder_task__isnull=True).update(
            reminder_task=task, version=F("version") + 1)  # an edit based on the old version is refused
        if not claimed:
            transaction.set_rollback(True)  # another worker got there first: drop our task
            return None
        _notify(task, payment, now)
    return task


def _invoice_name(payment):
    if payment.invoice_number:
        return _("invoice %(number)s") % {"number": payment.invoice_number}
    return _("order %(number)s") % {"number": payment.order.number}


def reminder_title(payment):
    return _("Call about payment: %(invoice)s, %(amount)s, %(client)s") % {
        "invoice": _invoice_name(payment), "amount": money(payment.uncovered, payment.order.currency),
        "client": payment.order.counterparty.name}


def _reminder_description(payment):
    order = payment.order
    lines = [
        _("Order %(number)s of %(date)s") % {"number": order.number,
                                             "date": formats.date_format(order.date, "SHORT_DATE_FORMAT")},
        _("Payment due: %(date)s") % {"date": formats.date_format(payment.date, "SHORT_DATE_FORMAT")},
        _("Invoice amount: %(amount)s") % {"amount": money(payment.amount, order.currency)},
        _("Not paid yet: %(amount)s") % {"amount": money(payment.uncovered, order.currency)},
    ]
    return "\n".join(lines)


def _notify(task, payment, now):
    """The assignee hears of the task like of a stage rule's one (bell and email, once)."""
    user = task.assignee
    with notifications.in_language_of(user):
        text = _("New task: %(title)s (deadline %(deadline)s)") % {
            "title": task.title,
            "deadline": formats.date_format(timezone.localtime(task.deadline), "SHORT_DATETIME_FORMAT")}
        notifications.notify(user, text, url=notifications.url_of(task),
                             source=f"payment-reminder:{payment.pk}",
                             email_subject=_("New task: %(title)s") % {"title": task.title}, now=now)
