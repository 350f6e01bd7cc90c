"""Customer orders with lines, planned and actual shipments and payments (SPEC §4)."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from activities.models import Task, counterparty_scope
from clients.models import Counterparty
from core.models import BaseModel, not_trashed, restrict_as, trash_index
from core.rollups import KeptByDatabase, key_to

from .. import defaults
from .deals import NON_NEGATIVE, POSITIVE, Deal, OwnedTotals, Reason, default_currency
from .products import catalog_label

USER = settings.AUTH_USER_MODEL
# "order" is also the sort position of reference lists: a context keeps the two apart.
ORDER = pgettext_lazy("sales order", "order")


class OrderFailureReason(Reason):
    """Why orders fall through."""

    edit_url_name = "sales:failurereason_edit"
    BUILTIN_NAMES = defaults.ORDER_FAILURE_REASON_NAMES

    class Meta(Reason.Meta):
        verbose_name = _("order failure reason")
        verbose_name_plural = _("order failure reasons")


class Order(BaseModel):
    """A customer order (заказ покупателя): lines, shipments and payments."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CONFIRMED = "confirmed", _("In progress")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Fell through")

    owner_scoped = True

    number = models.CharField(_("number"), max_length=30, blank=True, db_index=True)
    date = models.DateField(_("date"), default=timezone.localdate, db_index=True)
    counterparty = models.ForeignKey(Counterparty, verbose_name=_("client"), on_delete=models.CASCADE,
                                     related_name="orders")
    deal = models.ForeignKey(Deal, verbose_name=_("deal"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="orders")
    responsible = models.ForeignKey(USER, verbose_name=_("responsible"), on_delete=models.PROTECT,
                                    related_name="orders")
    currency = models.CharField(_("currency"), max_length=3, default=default_currency)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.CONFIRMED,
                             db_index=True)
    failure_reason = models.ForeignKey(OrderFailureReason, verbose_name=_("failure reason"), null=True,
                                       blank=True, on_delete=models.PROTECT, related_name="orders")
    failure_comment = models.TextField(_("failure comment"), blank=True)
    comment = models.TextField(_("comment"), blank=True)
    # Totals of the lines, kept by sales.services.orders.recalc() so that reports and the
    # dashboard aggregate one table instead of summing lines.
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2, default=Decimal("0"),
                                 editable=False)
    cost = models.DecimalField(_("cost"), max_digits=16, decimal_places=2, default=Decimal("0"),
                               editable=False)

    class Meta:
        verbose_name = ORDER
        verbose_name_plural = _("orders")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["responsible", "date"], name="order_responsible_date"),
            # Covers the per-client sums of a period (segment conditions on orders): SQLite checked
            # each client's orders row by row (100 000 clients: 310 → 110 ms a count).
            models.Index(fields=["counterparty", "date", "currency", "state", "deleted_at", "amount"],
                         name="order_counterparty_date"),
            # A period's orders counted by state (order failures) without fetching each row, and its
            # few failed ones: 250 000 rows fetched one by one through the date index took 0.35 s a
            # query on SQLite at 100 000 clients.
            models.Index(fields=["date", "state", "deleted_at", "counterparty"], name="order_date_state"),
            models.Index(fields=["state", "date"], name="order_state_date"),
            trash_index("order_trashed"),
        ]

    def __str__(self):
        return _("Order %(number)s of %(date)s") % {"number": self.number or self.pk,
                                                     "date": date_format(self.date, "SHORT_DATE_FORMAT")}

    def get_absolute_url(self):
        return reverse("sales:order_detail", args=[self.pk])

    @classmethod
    def own_q(cls, user):
        return Q(responsible=user) | counterparty_scope(user)

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(not_trashed("counterparty", Counterparty))

    def clean(self):
        if self.state != self.State.FAILED and self.failure_reason_id:
            raise ValidationError({"failure_reason": _("A failure reason is only for orders that fell through.")})
        if self.state == self.State.FAILED and not self.failure_reason_id:
            raise ValidationError({"failure_reason": _("Say why the order fell through.")})

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        if not self.number:
            # The number follows the primary key unless the user typed their own.
            self.number = str(self.pk)
            type(self).all_objects.filter(pk=self.pk).update(number=self.number)


class OrderChild(BaseModel):
    """Lines, shipments and payments: visible to whoever sees the order."""

    owner_scoped = True

    class Meta:
        abstract = True

    @classmethod
    def own_q(cls, user):
        return Q(order__responsible=user) | counterparty_scope(user, "order__counterparty")

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(not_trashed("order", Order), not_trashed("order__counterparty", Counterparty))


class OrderLine(OrderChild):
    """A product in an order; ``cost`` (unit cost) feeds the profitability report."""

    order = models.ForeignKey(Order, verbose_name=ORDER, on_delete=models.CASCADE, related_name="lines")
    product = models.CharField(_("product"), max_length=200)
    # Picked from the catalogue (price and cost copied, still editable); free-text lines have none.
    catalog_product = models.ForeignKey("sales.Product", verbose_name=_("catalogue product"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3, default=Decimal("1"),
                                   validators=POSITIVE)
    price = models.DecimalField(_("price"), max_digits=16, decimal_places=2, default=Decimal("0"),
                                validators=NON_NEGATIVE)
    cost = models.DecimalField(_("unit cost"), max_digits=16, decimal_places=2, default=Decimal("0"),
                               validators=NON_NEGATIVE)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "pk"]

    def __str__(self):
        return self.product

    @property
    def product_label(self):
        """The name, with the catalogue product's article when the line has one (documents, reports)."""
        return catalog_label(self)

    @property
    def total(self):
        return (self.quantity * self.price).quantize(Decimal("0.01"))

    @property
    def total_cost(self):
        return (self.quantity * self.cost).quantize(Decimal("0.01"))

    def restore(self):
        from ..services.orders import recalc

        super().restore()
        recalc(self.order)  # the order's totals count live lines only


class PlanFact(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTUAL = "actual", _("Actual")


class Shipment(OrderChild):
    """A planned or actual shipment of (part of) one order line."""

    order = models.ForeignKey(Order, verbose_name=ORDER, on_delete=models.CASCADE,
                              related_name="shipments")
    line = models.ForeignKey(OrderLine, verbose_name=_("line"), on_delete=models.CASCADE,
                             related_name="shipments")
    kind = models.CharField(pgettext_lazy("plan or actual", "kind"), max_length=7, choices=PlanFact.choices,
                            default=PlanFact.PLANNED)
    date = models.DateField(_("date"), db_index=True)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3, validators=POSITIVE)
    comment = models.CharField(_("comment"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["order", "date", "pk"]

    def __str__(self):
        return f"{self.line} × {self.quantity} ({self.date})"

    def clean(self):
        if self.line_id and self.order_id and self.line.order_id != self.order_id:
            raise ValidationError({"line": _("The line belongs to another order.")})

    def restore(self):
        from ..services.orders import check_shipment

        check_shipment(self)  # the line may have been shipped in full meanwhile
        super().restore()


class Payment(OrderChild):
    """A planned payment (an invoice with its due date) or an actual receipt."""

    order = models.ForeignKey(Order, verbose_name=ORDER, on_delete=models.CASCADE,
                              related_name="payments")
    kind = models.CharField(pgettext_lazy("plan or actual", "kind"), max_length=7, choices=PlanFact.choices,
                            default=PlanFact.PLANNED)
    # For a planned payment: the invoice's payment due date; for an actual one: the day it came.
    date = models.DateField(_("date"), db_index=True)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2, validators=POSITIVE)
    invoice_number = models.CharField(_("invoice number"), max_length=50, blank=True)
    comment = models.CharField(_("comment"), max_length=255, blank=True)
    # The "call about payment" task made for this invoice (keeps the rule idempotent).
    reminder_task = models.ForeignKey(Task, null=True, blank=True, editable=False, on_delete=models.SET_NULL,
                                      related_name="+")

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["order", "date", "pk"]
        indexes = [models.Index(fields=["kind", "date"], name="payment_kind_date")]

    def __str__(self):
        return f"{self.amount} {self.order.currency} ({self.date})"


class SaleDay(KeptByDatabase):
    """The sales of one order on one day (docs/analytics.md: actual shipments whose shipment and
    line are not in the trash, each valued to the kopeck): amount, cost and the number of shipment
    lines. Kept by database triggers on shipments and lines (``sales.sale_days``), so that writes
    around the models (``QuerySet.update``, bulk and raw inserts) keep it right too. The order's
    state, trash, currency and client are not copied: readers join the order."""

    pk = models.CompositePrimaryKey("order", "date")
    # The primary key (order, date) serves lookups by order: no index of its own.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+", db_index=False)
    date = models.DateField()
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    cost = models.DecimalField(max_digits=18, decimal_places=2)
    lines = models.PositiveIntegerField()
    # The order's earliest sale day: the date of the purchase (docs/analytics.md), whatever the day
    # of an analysis (an order first shipped after it has no sale day before it either).
    first_of_order = models.BooleanField()

    class Meta:
        verbose_name = _("sales of an order on a day")
        verbose_name_plural = _("sales of orders by day")
        indexes = [models.Index(fields=["date"], name="saleday_date")]  # a month's sales (dashboard)

    def __str__(self):
        return f"{self.order_id} {self.date}: {self.amount}"

    @classmethod
    def visible_to(cls, user):
        """The sale days of the shipments ``user`` sees: the shipments' access rules."""
        return restrict_as(Shipment, cls.objects.all(), user)


class MoneyDay(KeptByDatabase):
    """A day's money in one currency, summed by database triggers (``core.rollups``, declared in
    ``sales.rollups``) so that the dashboard reads a month as thirty rows, not a month of a large
    base's sale days or payments joined to their orders. Orders and clients in the trash are
    not left out (readers take them off)."""

    pk = models.CompositePrimaryKey("date", "currency")
    date = models.DateField()
    currency = models.CharField(max_length=3)
    count = models.IntegerField()
    amount = models.DecimalField(max_digits=24, decimal_places=2)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.date} {self.currency}: {self.amount}"


class RevenueDay(MoneyDay):
    """The sale days (actual shipments valued line by line) of a day and currency."""

    class Meta:
        verbose_name = _("revenue of a day")
        verbose_name_plural = _("revenue by day")


class PaymentDay(MoneyDay):
    """The actual payments (not in the trash) of a day and currency."""

    class Meta:
        verbose_name = _("payments of a day")
        verbose_name_plural = _("payments by day")


class IncomeDay(OwnedTotals):
    """The common keys of the rollups of the orders with income (in progress or completed, not in
    the trash) of a day, kept by database triggers (``core.rollups``, declared in
    ``sales.rollups``): currency, responsible and the client's main manager (0: none), so that a
    sales manager's figures come from them too."""

    date = models.DateField()
    currency = models.CharField(max_length=3)

    class Meta:
        abstract = True


class ProfitDay(IncomeDay):
    """The orders with income of a day: their count, income (amounts) and cost, so that the
    profitability report's totals read a year as a few thousand rows. Orders of a client in the
    trash are not left out (readers take them off)."""

    pk = models.CompositePrimaryKey("date", "currency", "responsible", "client_manager")
    amount = models.DecimalField(max_digits=24, decimal_places=2)
    cost = models.DecimalField(max_digits=24, decimal_places=2)

    class Meta:
        verbose_name = _("profit of a day")
        verbose_name_plural = _("profit by day")

    def __str__(self):
        return f"{self.date} {self.currency}: {self.amount} − {self.cost}"


class ProductDay(IncomeDay):
    """The lines (not in the trash) of the orders with income of a day per product: a catalogue
    product (``catalog_product``; 0 for a free-text line) or a free-text line's name (``name``;
    empty for a catalogue product). The report's sales by product."""

    pk = models.CompositePrimaryKey("date", "currency", "responsible", "client_manager", "catalog_product", "name")
    catalog_product = models.BigIntegerField()
    name = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=24, decimal_places=3)
    income = models.DecimalField(max_digits=30, decimal_places=5)  # Σ quantity × price, rounded when read
    cost = models.DecimalField(max_digits=30, decimal_places=5)

    class Meta:
        verbose_name = _("product sales of a day")
        verbose_name_plural = _("product sales by day")

    def __str__(self):
        return f"{self.date} {self.name or self.catalog_product}: {self.income}"


class ClientDay(IncomeDay):
    """The orders with income of a day per client, keyed first by the client's main manager, with
    the client's name: the profitability report finds a sales manager's clients with income in a
    period here, in name order — their orders lie scattered among every manager's, and their
    clients are too many to probe one by one. Clients in the trash are left out."""

    pk = models.CompositePrimaryKey("client_manager", "date", "counterparty", "name", "currency", "responsible")
    counterparty = key_to(Counterparty)
    name = models.CharField(max_length=200)  # the client's
    amount = models.DecimalField(max_digits=24, decimal_places=2)
    cost = models.DecimalField(max_digits=24, decimal_places=2)

    class Meta:
        verbose_name = _("client's profit of a day")
        verbose_name_plural = _("clients' profit by day")
        # A manager's clients in name order, as orders' responsible and as the clients' manager:
        # a page's batch walks each index and stops (grouping all their clients took 30–50 ms).
        indexes = [
            models.Index(fields=["responsible", "name", "counterparty", "date"], include=["count"],
                         name="clientday_responsible_name"),
            models.Index(fields=["client_manager", "name", "counterparty", "date"], include=["count"],
                         name="clientday_manager_name"),
        ]

    def __str__(self):
        return f"{self.date} {self.counterparty_id} {self.currency}: {self.amount} − {self.cost}"
