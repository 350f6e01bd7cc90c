"""Equipment under service, service contracts and service visits (issue 12 item 3, seed 002).

Every row hangs off a client: a sales manager sees the equipment of their own clients; service
engineers (a read-only role elsewhere) keep all of it (``writer_roles``).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activities.models import Task, counterparty_scope
from clients.models import Counterparty
from core.access import Role
from core.models import BaseModel, not_trashed
from sales.models import Order, Product

USER = settings.AUTH_USER_MODEL
SERVICE_WRITERS = frozenset({Role.SERVICE})
DEFAULT_INSTALLATION_DAYS = 5


def company_currency():
    return settings.KLIENTURA_CURRENCY


class ClientRow(BaseModel):
    """A row a sales manager sees through its client; service engineers write it."""

    owner_scoped = True
    writer_roles = SERVICE_WRITERS

    class Meta:
        abstract = True

    @classmethod
    def own_q(cls, user):
        return counterparty_scope(user, "counterparty")

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(not_trashed("counterparty", Counterparty))


class ServiceContract(ClientRow):
    """A service contract (договор на сервисное обслуживание): period, visits, response time."""

    number = models.CharField(_("number"), max_length=50)
    counterparty = models.ForeignKey(Counterparty, verbose_name=_("client"), on_delete=models.CASCADE,
                                     related_name="service_contracts")
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    visits_per_year = models.PositiveSmallIntegerField(_("visits per year"), default=4,
                                                       validators=[MaxValueValidator(365)])
    response_hours = models.PositiveIntegerField(_("response time, working hours"), default=8)
    installation_days = models.PositiveIntegerField(
        _("installation deadline, working days"), default=DEFAULT_INSTALLATION_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(250)],
        help_text=_("Counted from the order's shipment (or its date) for the installation task."))
    engineer = models.ForeignKey(USER, verbose_name=_("service engineer"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="service_contracts")
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2, default=Decimal("0"),
                                 validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(_("currency"), max_length=3, default=company_currency)
    notes = models.TextField(_("notes"), blank=True)
    # The contract end the reminder went out for (claimed with a conditional UPDATE).
    end_notified_for = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("service contract")
        verbose_name_plural = _("service contracts")
        ordering = ["-start", "number", "pk"]
        indexes = [models.Index(fields=["counterparty", "-start"], name="servicecontract_cp_start"),
                   models.Index(fields=["end"], name="servicecontract_end")]

    def __str__(self):
        return _("Contract %(number)s") % {"number": self.number}

    def get_absolute_url(self):
        return reverse("service:contract", args=[self.pk])

    def clean(self):
        errors = {}
        if self.start and self.end and self.end < self.start:
            errors["end"] = _("The contract ends before it starts.")
        self.currency = (self.currency or "").upper()
        if len(self.currency) != 3 or not self.currency.isalpha():
            errors["currency"] = _("A three-letter currency code, e.g. RUB.")
        if self.number and self.counterparty_id is not None:
            same = type(self).objects.filter(number=self.number).exclude(pk=self.pk)
            if same.exists():
                errors["number"] = _("Another service contract has this number.")
        if errors:
            raise ValidationError(errors)

    def active_on(self, day):
        return self.start <= day <= self.end


class Equipment(ClientRow):
    """A unit installed at a client: a catalogue model with its serial number."""

    product = models.ForeignKey(Product, verbose_name=_("model"), on_delete=models.PROTECT,
                                related_name="equipment")
    serial_number = models.CharField(_("serial number"), max_length=100)
    counterparty = models.ForeignKey(Counterparty, verbose_name=_("client"), on_delete=models.CASCADE,
                                     related_name="equipment")
    address = models.CharField(_("installation address"), max_length=300, blank=True)
    installed_on = models.DateField(_("installation date"), null=True, blank=True)
    warranty_until = models.DateField(_("warranty until"), null=True, blank=True)
    contract = models.ForeignKey(ServiceContract, verbose_name=_("service contract"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="equipment")
    order = models.ForeignKey(Order, verbose_name=_("order"), null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="equipment", help_text=_("The order it was sold with."))
    notes = models.TextField(_("notes"), blank=True)
    warranty_notified_for = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")
        ordering = ["counterparty", "product", "serial_number", "pk"]
        indexes = [models.Index(fields=["counterparty", "serial_number"], name="equipment_cp_serial"),
                   models.Index(fields=["warranty_until"], name="equipment_warranty")]
        constraints = [models.UniqueConstraint(fields=["serial_number"], condition=Q(deleted_at__isnull=True),
                                               name="equipment_unique_live_serial")]

    def __str__(self):
        return f"{self.product.name} № {self.serial_number}" if self.product_id else self.serial_number

    def get_absolute_url(self):
        return reverse("service:equipment", args=[self.pk])

    def clean(self):
        errors = {}
        self.serial_number = (self.serial_number or "").strip()
        if self.serial_number and type(self).objects.filter(serial_number=self.serial_number).exclude(
                pk=self.pk).exists():
            errors["serial_number"] = _("Another unit has this serial number.")
        if self.installed_on and self.warranty_until and self.warranty_until < self.installed_on:
            errors["warranty_until"] = _("The warranty ends before the installation date.")
        if self.contract_id and self.counterparty_id and self.contract.counterparty_id != self.counterparty_id:
            errors["contract"] = _("The contract belongs to another client.")
        if self.order_id and self.counterparty_id and self.order.counterparty_id != self.counterparty_id:
            errors["order"] = _("The order belongs to another client.")
        if errors:
            raise ValidationError(errors)

    @property
    def under_warranty(self):
        return bool(self.warranty_until and self.warranty_until >= timezone.localdate())


class ServiceVisit(ClientRow):
    """A visit of a service engineer to a client's equipment (planned maintenance, repair…)."""

    class Kind(models.TextChoices):
        MAINTENANCE = "maintenance", _("Planned maintenance")
        REPAIR = "repair", _("Repair")
        INSTALLATION = "installation", _("Installation")
        CONSULTATION = "consultation", _("On-site consultation")

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    counterparty = models.ForeignKey(Counterparty, verbose_name=_("client"), on_delete=models.CASCADE,
                                     related_name="service_visits", editable=False)
    equipment = models.ForeignKey(Equipment, verbose_name=_("equipment"), null=True, blank=True,
                                  on_delete=models.CASCADE, related_name="visits")
    contract = models.ForeignKey(ServiceContract, verbose_name=_("service contract"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="visits")
    engineer = models.ForeignKey(USER, verbose_name=_("service engineer"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="service_visits")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.MAINTENANCE)
    planned_start = models.DateTimeField(_("planned start"), db_index=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PLANNED)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    report = models.TextField(_("work report"), blank=True)
    # The n-th visit planned from the contract ("plan visits" creates only the missing ones).
    plan_index = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("service visit")
        verbose_name_plural = _("service visits")
        ordering = ["planned_start", "pk"]
        indexes = [models.Index(fields=["engineer", "planned_start"], name="servicevisit_engineer_start"),
                   models.Index(fields=["counterparty", "planned_start"], name="servicevisit_cp_start")]
        constraints = [models.UniqueConstraint(fields=["contract", "plan_index"], name="servicevisit_plan_once",
                                               condition=Q(plan_index__isnull=False))]

    def __str__(self):
        when = timezone.localtime(self.planned_start).strftime("%d.%m.%Y") if self.planned_start else ""
        return f"{self.get_kind_display()} {when}".strip()

    def get_absolute_url(self):
        return reverse("service:visit_edit", args=[self.pk])

    def clean(self):
        errors = {}
        if not self.equipment_id and not self.contract_id:
            errors["equipment"] = _("Choose the equipment or the service contract of the visit.")
        if self.equipment_id and self.contract_id and self.equipment.counterparty_id != self.contract.counterparty_id:
            errors["contract"] = _("The equipment and the contract belong to different clients.")
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            errors["planned_end"] = _("The visit ends before it starts.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        parent = self.equipment if self.equipment_id else self.contract if self.contract_id else None
        if parent is not None:
            self.counterparty_id = parent.counterparty_id
        if self.state == self.State.DONE and self.done_at is None:
            self.done_at = timezone.now()
        elif self.state != self.State.DONE:
            self.done_at = None
        super().save(*args, **kwargs)

    @property
    def duration(self):
        return (self.planned_end - self.planned_start) if self.planned_end else None


class InstallationTask(models.Model):
    """The installation task made from an order: at most one per order, so a second click finds it."""

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="installation")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("installation task")
        verbose_name_plural = _("installation tasks")

    def __str__(self):
        return str(self.task)
