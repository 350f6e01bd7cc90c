"""Exchange with 1C: bank statements (``1CClientBankExchange``) and their incoming payments.

A ``BankStatement`` is the log of one uploaded file with its counts; each incoming payment of it
is a ``BankStatementLine``, kept once (``key``: bank document number, date, amount and payer
account or tax id) however often the file is loaded. A line either registered an actual
``sales.Payment`` by itself (matched), waits in the review list, was assigned to an order by a
user, or was ignored. The payments are business data with history; the statement rows are a
log written by the import and the review actions (no trash, no version).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.models import Counterparty, counterparty_scope
from core.access import Role
from core.models import RestrictedQuerySet
from sales.models import Order, Payment

USER = settings.AUTH_USER_MODEL


class BankStatement(models.Model):
    """One uploaded statement file: who loaded it, what it held and what became of its lines.

    Heads and administrators upload statements (``head_managed``) and see every one; other roles
    with the "all rows" scope read the log; a sales manager sees only what they uploaded (none:
    they may not upload), and the statement lines of their own clients in the review list.
    """

    owner_scoped = True
    head_managed = True
    derived = True  # a log: written by the import, never edited; no trash, no version

    file_name = models.CharField(_("file"), max_length=255)
    uploaded_by = models.ForeignKey(USER, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True, db_index=True)
    encoding = models.CharField(_("encoding"), max_length=10)
    format_version = models.CharField(_("format version"), max_length=10, blank=True)
    sender = models.CharField(_("sender"), max_length=255, blank=True)
    accounts = models.CharField(_("accounts"), max_length=255, blank=True)
    date_from = models.DateField(_("period from"), null=True, blank=True)
    date_to = models.DateField(_("period to"), null=True, blank=True)
    documents = models.PositiveIntegerField(_("documents"), default=0)
    incoming = models.PositiveIntegerField(_("incoming"), default=0)
    outgoing = models.PositiveIntegerField(_("outgoing (skipped)"), default=0)
    matched = models.PositiveIntegerField(_("registered automatically"), default=0)
    review = models.PositiveIntegerField(_("sent to review"), default=0)
    duplicates = models.PositiveIntegerField(_("loaded before"), default=0)

    objects = RestrictedQuerySet.as_manager()
    all_objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return _("Statement %(file)s of %(date)s") % {
            "file": self.file_name, "date": date_format(self.uploaded_at, "SHORT_DATE_FORMAT")
            if self.uploaded_at else ""}

    def get_absolute_url(self):
        return reverse("integrations:bankstatement", args=[self.pk])

    @classmethod
    def own_q(cls, user):
        return Q(uploaded_by=user)

    @classmethod
    def visible_filter(cls, qs):
        return qs


class BankStatementLine(models.Model):
    """An incoming payment of a statement, matched to an invoice or waiting for a user's choice."""

    class State(models.TextChoices):
        MATCHED = "matched", _("Registered automatically")
        REVIEW = "review", _("To review")
        ASSIGNED = "assigned", _("Registered by a user")
        IGNORED = "ignored", _("Ignored")

    class Reason(models.TextChoices):
        NONE = "", "—"
        UNKNOWN_PAYER = "unknown_payer", _("No client has the payer's tax id and no invoice number was recognised")
        NO_INVOICE = "no_invoice", _("The payer is a client, but no open invoice fits the amount")
        AMBIGUOUS = "ambiguous", _("Several invoices fit")
        WEAK = "weak", _("The invoice number was found, but neither the amount nor the payer's tax id fits")
        FAILED = "failed", _("The payment could not be registered")

    owner_scoped = True
    derived = True  # written by the import and the review actions; the payments it makes have history
    # Sales managers resolve their clients' lines; marketers and the read-only roles only read.
    editor_roles = frozenset({Role.ADMIN, Role.COMPANY_HEAD, Role.SALES_HEAD, Role.SALES_MANAGER})

    statement = models.ForeignKey(BankStatement, verbose_name=_("bank statement"), on_delete=models.CASCADE,
                                  related_name="lines")
    line_no = models.PositiveIntegerField(_("line in the file"), default=0)
    # Once per payment, however often it is loaded: a hash of number, date, amount and payer.
    key = models.CharField(max_length=64, unique=True, editable=False)
    number = models.CharField(_("number"), max_length=50)
    date = models.DateField(_("date"))
    received_on = models.DateField(_("received"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    payer_name = models.CharField(_("payer"), max_length=255, blank=True)
    payer_inn = models.CharField(_("payer's tax id"), max_length=12, blank=True, db_index=True)
    payer_kpp = models.CharField(_("payer's KPP"), max_length=9, blank=True)
    payer_account = models.CharField(_("payer's account"), max_length=34, blank=True)
    purpose = models.TextField(_("purpose of payment"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.REVIEW,
                             db_index=True)
    reason = models.CharField(_("why to review"), max_length=20, choices=Reason.choices, blank=True, default="")
    counterparty = models.ForeignKey(Counterparty, verbose_name=_("client"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    invoice = models.ForeignKey(Payment, verbose_name=_("invoice"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    order = models.ForeignKey(Order, verbose_name=_("order"), null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    payment = models.ForeignKey(Payment, verbose_name=_("registered payment"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    candidates = models.ManyToManyField(Order, verbose_name=_("candidate orders"), blank=True, related_name="+")
    resolved_by = models.ForeignKey(USER, verbose_name=_("resolved by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    all_objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("bank statement line")
        verbose_name_plural = _("bank statement lines")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["state", "date"], name="stmtline_state_date")]

    def __str__(self):
        return _("Payment order No. %(number)s of %(date)s") % {
            "number": self.number, "date": date_format(self.date, "SHORT_DATE_FORMAT")}

    def get_absolute_url(self):
        return reverse("integrations:bankstatementline", args=[self.pk])

    @classmethod
    def own_q(cls, user):
        """The lines of the manager's clients: the payer found by tax id, the order it went to,
        or one of the candidate orders offered for review."""
        orders = Order.all_objects.filter(Order.own_q(user)).values("pk")
        candidates = cls.candidates.through.objects.filter(order__in=orders).values("bankstatementline_id")
        return counterparty_scope(user) | Q(order__in=orders) | Q(pk__in=candidates)

    @classmethod
    def visible_filter(cls, qs):
        return qs

    @property
    def open(self):
        return self.state == self.State.REVIEW


class ExternalId(models.Model):
    """A 1C Ид and the Klientura object it stands for (CommerceML exchange): one per object and kind.

    Kept here so that no other app's table grows a column for 1C; objects made in Klientura get an
    Ид on their first export, so that 1C sees the same object every time."""

    class Kind(models.TextChoices):
        CATEGORY = "category", _("product category")
        PRODUCT = "product", _("product")
        COUNTERPARTY = "counterparty", _("counterparty")
        ORDER = "order", pgettext_lazy("sales order", "order")

    kind = models.CharField(max_length=15, choices=Kind.choices)
    external_id = models.CharField(_("1C id"), max_length=100)
    object_id = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("1C id")
        verbose_name_plural = _("1C ids")
        constraints = [
            models.UniqueConstraint(fields=["kind", "external_id"], name="externalid_unique_external"),
            models.UniqueConstraint(fields=["kind", "object_id"], name="externalid_unique_object"),
        ]

    def __str__(self):
        return f"{self.kind} {self.external_id} → {self.object_id}"


class ExchangeLog(models.Model):
    """One step of the CommerceML exchange (a file imported, orders given to 1C…) with its outcome."""

    class Direction(models.TextChoices):
        IMPORT = "import", _("From 1C")
        EXPORT = "export", _("To 1C")

    started_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(USER, verbose_name=_("user"), null=True, on_delete=models.SET_NULL, related_name="+")
    exchange_type = models.CharField(_("exchange"), max_length=10)  # catalog / sale (the protocol's "type")
    mode = models.CharField(_("step"), max_length=10)
    direction = models.CharField(_("direction"), max_length=6, choices=Direction.choices)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    ok = models.BooleanField(_("success"), default=True)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    message = models.TextField(_("message"), blank=True)

    objects = RestrictedQuerySet.as_manager()
    all_objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("1C exchange log entry")
        verbose_name_plural = _("1C exchange log")
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"{self.exchange_type}/{self.mode} {self.file_name}".strip()

    @classmethod
    def visible_filter(cls, qs):
        return qs
