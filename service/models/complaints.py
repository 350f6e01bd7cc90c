"""Complaints and claims (SPEC §7, issue 12 item 2): types, departments, complaints and the
subtasks of the departments involved in them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy

from clients.models import ContactPerson, Counterparty, counterparty_scope
from core.access import Role
from core.builtin_names import Builtin, BuiltinNameField
from core.models import BaseModel, EditUrlMixin, not_trashed, trash_index
from core.working_time import add_working_time

USER = settings.AUTH_USER_MODEL
QUALITY_WRITERS = frozenset({Role.QUALITY})

COMPLAINT_TYPE_NAMES = {
    "quality": Builtin(gettext_noop("Product quality"), "Качество продукции"),
    "delivery": Builtin(gettext_noop("Delivery"), "Доставка"),
    "installation": Builtin(gettext_noop("Installation"), "Монтаж"),
    "service": Builtin(gettext_noop("Service"), "Сервис"),
    "documents": Builtin(gettext_noop("Documents"), "Документы"),
    "staff": Builtin(gettext_noop("Staff behaviour"), "Поведение сотрудников"),
}
DEPARTMENT_NAMES = {
    "legal": Builtin(gettext_noop("Legal"), "Юридический отдел"),
    "service": Builtin(gettext_noop("Service department"), "Сервисная служба"),
    "sales": Builtin(gettext_noop("Sales department"), "Отдел продаж"),
    "production": Builtin(gettext_noop("Production"), "Производство"),
    "logistics": Builtin(gettext_noop("Logistics"), "Логистика"),
    "accounting": Builtin(gettext_noop("Accounting"), "Бухгалтерия"),
}
DEFAULT_DEADLINE_DAYS = 3
OPEN_STATE_VALUES = ("new", "in_progress", "decided")  # Complaint.OPEN_STATES, for the partial index


def open_complaint():
    """``state IN ('new', 'in_progress', 'decided')`` with the values written into the SQL: SQLite
    uses the partial index ``complaint_open_received`` only when the query repeats its condition
    literally (bound parameters do not match it). The overdue list, the tile and the overdue
    notices read the open complaints from it instead of the whole table."""
    states = ", ".join(f"'{value}'" for value in OPEN_STATE_VALUES)
    return RawSQL(f'"{Complaint._meta.db_table}"."state" IN ({states})', [], output_field=models.BooleanField())  # noqa: S611 constants


class ComplaintReference(EditUrlMixin, BaseModel):
    """A reference list the administrator keeps; built-in rows have a code (core.builtin_names)."""

    settings_model = True
    BUILTIN_NAMES = {}

    name = BuiltinNameField(_("name"), max_length=150)
    code = models.SlugField(_("code"), max_length=30, blank=True, editable=False)
    order = models.PositiveIntegerField(_("order"), default=100)

    class Meta:
        abstract = True
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    @classmethod
    def ensure_builtin(cls):
        """The built-in rows (the data migration creates them; a wiped table gets them back)."""
        manager = getattr(cls, "all_objects", cls._base_manager)
        if not manager.exists():
            for order, (code, entry) in enumerate(cls.BUILTIN_NAMES.items(), start=1):
                cls.objects.create(code=code, name=entry.msgid, order=order * 10)


class ComplaintType(ComplaintReference):
    """What a complaint is about; gives the default deadline in working days."""

    edit_url_name = "service:complainttype_edit"
    BUILTIN_NAMES = COMPLAINT_TYPE_NAMES

    deadline_days = models.PositiveSmallIntegerField(
        _("deadline, working days"), default=DEFAULT_DEADLINE_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(250)],
        help_text=_("The default deadline of a complaint of this type."))

    class Meta(ComplaintReference.Meta):
        verbose_name = _("complaint type")
        verbose_name_plural = _("complaint types")


class Department(ComplaintReference):
    """A department involved in handling complaints (legal, service, sales…)."""

    edit_url_name = "service:department_edit"
    BUILTIN_NAMES = DEPARTMENT_NAMES

    class Meta(ComplaintReference.Meta):
        verbose_name = _("department")
        verbose_name_plural = _("departments")


def complaint_deadline(received_at, complaint_type):
    days = complaint_type.deadline_days if complaint_type else DEFAULT_DEADLINE_DAYS
    return add_working_time(received_at, days=days)


class Complaint(BaseModel):
    """A complaint or claim of a client (претензия / жалоба), handled by a quality specialist.

    A sales manager sees the complaints of their own clients; quality specialists handle those of
    every client (``writer_roles``)."""

    owner_scoped = True
    writer_roles = QUALITY_WRITERS

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        VISIT = "visit", _("Visit")
        LETTER = "letter", _("Letter")
        WEB = "web", _("Website")
        OTHER = "other", _("Other")

    class State(models.TextChoices):
        NEW = "new", pgettext_lazy("complaint", "New")
        IN_PROGRESS = "in_progress", _("In progress")
        DECIDED = "decided", _("Decided")
        CLOSED = "closed", pgettext_lazy("complaint", "Closed")
        REJECTED = "rejected", pgettext_lazy("complaint", "Rejected")

    # Allowed moves; a closed or rejected complaint may be reopened (back to work).
    TRANSITIONS = {
        State.NEW: {State.IN_PROGRESS, State.DECIDED, State.REJECTED},
        State.IN_PROGRESS: {State.DECIDED, State.REJECTED, State.NEW},
        State.DECIDED: {State.CLOSED, State.IN_PROGRESS, State.REJECTED},
        State.CLOSED: {State.IN_PROGRESS},
        State.REJECTED: {State.IN_PROGRESS},
    }
    OPEN_STATES = (State.NEW, State.IN_PROGRESS, State.DECIDED)

    number = models.CharField(_("number"), max_length=20, blank=True, editable=False, db_index=True)
    type = models.ForeignKey(ComplaintType, verbose_name=_("type"), on_delete=models.PROTECT,
                             related_name="complaints")
    counterparty = models.ForeignKey(Counterparty, verbose_name=_("client"), on_delete=models.CASCADE,
                                     related_name="complaints")
    contact_person = models.ForeignKey(ContactPerson, verbose_name=_("contact person"), null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="complaints")
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.PHONE)
    received_at = models.DateTimeField(pgettext_lazy("complaint", "received"), default=timezone.now)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True,
                                    help_text=_("Empty: the type's working days after receipt."))
    responsible = models.ForeignKey(USER, verbose_name=_("responsible"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="complaints",
                                    help_text=_("The quality specialist handling the complaint."))
    product = models.ForeignKey("sales.Product", verbose_name=_("product"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="complaints")
    deal = models.ForeignKey("sales.Deal", verbose_name=_("deal"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="complaints")
    order = models.ForeignKey("sales.Order", verbose_name=_("order"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="complaints")
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.NEW)
    decision = models.TextField(_("decision"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(pgettext_lazy("complaint", "closed"), null=True, blank=True, editable=False)
    closing_call = models.ForeignKey("activities.Interaction", verbose_name=_("closing call"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+", editable=False)
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["-received_at", "-id"], name="complaint_received"),
            # Covering: the client card's tab, and "complaints by client" reads it in client order.
            models.Index(fields=["counterparty", "-received_at", "deleted_at", "state", "deadline"],
                         name="complaint_cp_received"),
            models.Index(fields=["responsible", "state"], name="complaint_resp_state"),
            models.Index(fields=["type", "received_at"], name="complaint_type_received"),
            # The open complaints newest first: the overdue list walks it and stops after a page; the
            # tile and the overdue notices read the deadline from it, the "by …" report's totals also the
            # client (for the scope's trash check) — covering. No (state, deadline) index: SQLite would
            # pick it for the overdue list and sort every open complaint.
            models.Index(fields=["-received_at", "-id", "deadline", "counterparty"], name="complaint_open_received",
                         condition=models.Q(state__in=OPEN_STATE_VALUES, deleted_at__isnull=True)),
            # Covering indexes of the reports: processing time and counts read every complaint of the
            # period from here, not from the wide rows; decisions page through the decided ones.
            models.Index(fields=["received_at", "deleted_at", "state", "deadline", "decided_at", "type",
                                 "responsible", "product", "counterparty"], name="complaint_report"),
            models.Index(fields=["-decided_at", "-id", "deleted_at", "counterparty"], name="complaint_decided"),
            trash_index("complaint_trashed"),
        ]

    def __str__(self):
        return f"{self.number or '—'}: {self.subject}"

    def get_absolute_url(self):
        return reverse("service:complaint", args=[self.pk])

    @classmethod
    def own_q(cls, user):
        return counterparty_scope(user)

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(not_trashed("counterparty", Counterparty))

    @property
    def is_open(self):
        return self.state in self.OPEN_STATES

    @property
    def is_overdue(self):
        return self.is_open and self.deadline is not None and self.deadline < timezone.now()

    def allowed_states(self):
        return [s for s in self.State if s in self.TRANSITIONS.get(self.state, ())]

    def check_transition(self, old_state):
        """A field error for a move the flow does not allow, or a state whose data is missing."""
        if old_state and old_state != self.state and self.state not in self.TRANSITIONS.get(old_state, ()):
            raise ValidationError({"state": _("A complaint cannot go from “%(old)s” to “%(new)s”.") % {
                "old": self.State(old_state).label, "new": self.State(self.state).label}})
        if self.state in (self.State.DECIDED, self.State.CLOSED, self.State.REJECTED) and not self.decision.strip():
            raise ValidationError({"decision": _("Write the decision first: a complaint cannot be decided, "
                                                 "rejected or closed without one.")})
        if self.state == self.State.CLOSED and old_state != self.State.CLOSED and not self.closing_call_id:
            raise ValidationError({"state": _("Call the client first: a complaint is closed once the closing call "
                                              "is recorded.")})

    def clean(self):
        super().clean()
        if self.counterparty_id and self.contact_person_id and self.contact_person.counterparty_id != \
                self.counterparty_id:
            raise ValidationError({"contact_person": _("The contact person must belong to the client.")})
        for name in ("deal", "order"):
            linked = getattr(self, name) if getattr(self, f"{name}_id") else None
            if linked is not None and self.counterparty_id and linked.counterparty_id != self.counterparty_id:
                raise ValidationError({name: _("Choose one of this client's.")})
        if self.deadline and self.received_at and self.deadline < self.received_at:
            raise ValidationError({"deadline": _("The deadline cannot be before the complaint was received.")})
        old = None
        if self.pk:
            old = type(self).all_objects.filter(pk=self.pk).values_list("state", flat=True).first()
        self.check_transition(old or self.State.NEW if self.pk else None)

    def save(self, *args, **kwargs):
        if self.deadline is None and self.received_at and self.type_id:
            self.deadline = complaint_deadline(self.received_at, self.type)
        now = timezone.now()
        if self.state in (self.State.DECIDED, self.State.CLOSED, self.State.REJECTED) and not self.decided_at:
            self.decided_at = now
        if self.state in (self.State.NEW, self.State.IN_PROGRESS):
            self.decided_at = None
        if self.state in (self.State.CLOSED, self.State.REJECTED):
            self.closed_at = self.closed_at or now
        else:
            self.closed_at = None
        super().save(*args, **kwargs)
        if not self.number:
            self.number = f"C-{self.pk:06d}"
            type(self).all_objects.filter(pk=self.pk).update(number=self.number)


class ComplaintTask(BaseModel):
    """A subtask of a complaint for one involved department."""

    owner_scoped = True
    writer_roles = QUALITY_WRITERS

    complaint = models.ForeignKey(Complaint, verbose_name=_("complaint"), on_delete=models.CASCADE,
                                  related_name="tasks")
    department = models.ForeignKey(Department, verbose_name=_("department"), on_delete=models.PROTECT,
                                   related_name="complaint_tasks")
    responsible = models.ForeignKey(USER, verbose_name=_("responsible"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="complaint_tasks")
    description = models.TextField(_("description"))
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True,
                                    help_text=_("Empty: the complaint's deadline."))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("complaint subtask")
        verbose_name_plural = _("complaint subtasks")
        ordering = ["complaint", "deadline", "pk"]
        indexes = [models.Index(fields=["done_at", "deadline"], name="complainttask_open_deadline")]

    def __str__(self):
        return f"{self.department}: {self.description[:60]}"

    def get_absolute_url(self):
        return reverse("service:complaint", args=[self.complaint_id]) + f"#task-{self.pk}"

    @classmethod
    def own_q(cls, user):
        return counterparty_scope(user, "complaint__counterparty")

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(not_trashed("complaint", Complaint),
                         not_trashed("complaint__counterparty", Counterparty))

    @property
    def is_overdue(self):
        return self.done_at is None and self.deadline is not None and self.deadline < timezone.now()

    def clean(self):
        super().clean()
        if self.done_at and not self.result.strip():
            raise ValidationError({"result": _("Write the result of a done subtask.")})

    def save(self, *args, **kwargs):
        if self.deadline is None and self.complaint_id:
            self.deadline = self.complaint.deadline
        super().save(*args, **kwargs)
