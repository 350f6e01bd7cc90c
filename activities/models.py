"""Interactions, tasks, reminders, notifications and outgoing email (SPEC §3, §8)."""

import secrets

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy

from clients.models import ContactPerson, Counterparty, counterparty_scope  # noqa: F401 (re-exported)
from core.builtin_names import Builtin, BuiltinNameField
from core.models import BaseModel, EditUrlMixin, not_trashed
from core.rollups import KeptByDatabase, key_to

USER = settings.AUTH_USER_MODEL


class Importance(models.TextChoices):
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


class InteractionType(EditUrlMixin, BaseModel):
    """Kinds of interaction; the built-in ones have a code, administrators may add more.

    A built-in type's name is shown in the reader's language until an administrator renames it;
    a renamed one shows its custom name as typed in every language (core.builtin_names: str(),
    forms, lists, reports, exports and the API read ``name``; queries see the stored msgid).
    """

    settings_model = True
    edit_url_name = "activities:type_edit"

    BUILTIN_NAMES = {
        "incoming_call": Builtin(gettext_noop("Incoming call"), "Входящий звонок"),
        "outgoing_call": Builtin(gettext_noop("Outgoing call"), "Исходящий звонок"),
        "meeting": Builtin(gettext_noop("Meeting"), "Встреча"),
        "email": Builtin(gettext_noop("Email message"), "Электронное письмо"),
        "sms": Builtin(gettext_noop("SMS"), "SMS"),
        "letter": Builtin(gettext_noop("Letter"), "Письмо"),
        "task": Builtin(gettext_noop("Task"), "Задача"),
        "other": Builtin(gettext_noop("Other"), "Прочее"),
    }

    name = BuiltinNameField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=30, blank=True,
                            help_text=_("Built-in types: incoming_call, outgoing_call, meeting, "
                                        "email, sms, letter, task, other."))
    order = models.PositiveIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("interaction type")
        verbose_name_plural = _("interaction types")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    @classmethod
    def by_code(cls, code):
        found = cls.objects.filter(code=code).first()
        if found is None and code in cls.BUILTIN_NAMES:
            cls.ensure_builtin()
            found = cls.objects.filter(code=code).first()
        return found

    @classmethod
    def ensure_builtin(cls):
        """The built-in types (the migration creates them; a wiped table gets them back)."""
        for order, (code, entry) in enumerate(cls.BUILTIN_NAMES.items()):
            cls.all_objects.get_or_create(code=code, defaults={"name": entry.msgid, "order": order * 10})


class Interaction(BaseModel):
    """A contact with a client: call, meeting, email, … planned or done (взаимодействие)."""

    class Direction(models.TextChoices):
        INCOMING = "in", _("Incoming")
        OUTGOING = "out", _("Outgoing")

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    owner_scoped = True

    type = models.ForeignKey(InteractionType, verbose_name=_("type"), on_delete=models.PROTECT)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices,
                                 default=Direction.OUTGOING)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PLANNED,
                             db_index=True)
    subject = models.CharField(_("subject"), max_length=200)
    content = models.TextField(_("content"), blank=True)
    counterparty = models.ForeignKey(Counterparty, verbose_name=_("counterparty"),
                                     on_delete=models.CASCADE, related_name="interactions")
    contact_persons = models.ManyToManyField(ContactPerson, verbose_name=_("contact persons"),
                                             blank=True, related_name="interactions")
    _history_m2m_fields = ("contact_persons",)  # the history shows who was added and removed
    responsible = models.ForeignKey(USER, verbose_name=_("responsible"), on_delete=models.PROTECT,
                                    related_name="interactions")
    start = models.DateTimeField(_("start"), db_index=True)
    end = models.DateTimeField(_("end"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(_("time spent, minutes"), null=True, blank=True)
    importance = models.CharField(_("importance"), max_length=6, choices=Importance.choices,
                                  default=Importance.NORMAL)
    basis_type = models.ForeignKey(ContentType, verbose_name=_("basis type"), null=True, blank=True,
                                   on_delete=models.SET_NULL)
    basis_id = models.PositiveBigIntegerField(_("basis id"), null=True, blank=True)
    basis = GenericForeignKey("basis_type", "basis_id")
    result = models.TextField(_("result"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1–5)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-start", "-id"]
        indexes = [
            models.Index(fields=["counterparty", "-start"], name="interaction_cp_start"),
            models.Index(fields=["responsible", "state", "start"], name="interaction_resp_state"),
            # Each client's latest contact done (the analysis' "no contact" warning): read from
            # this index alone, 0.37 → 0.1 s over 500 000 interactions on PostgreSQL.
            models.Index(fields=["counterparty", "start"], name="interaction_done_cp_start",
                         condition=Q(state="done", deleted_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.type}: {self.subject}"

    def get_absolute_url(self):
        return reverse("activities:interaction_edit", args=[self.pk])

    @classmethod
    def own_q(cls, user):
        return Q(responsible=user) | counterparty_scope(user)

    @classmethod
    def visible_filter(cls, qs):
        # An anti-join on the trashed clients, not a join to every client: the dashboard's counts
        # over a month's and all planned contacts (420 000 rows at 1 000 000 clients) scanned them all.
        return qs.filter(not_trashed("counterparty", Counterparty))

    def clean(self):
        if self.end and self.start and self.end < self.start:
            raise ValidationError({"end": _("The end cannot be before the start.")})
        if self.counterparty_id and self.pk:
            pass  # contact persons are checked in the form (M2M is saved after the instance)

    @property
    def is_overdue(self):
        return self.state == self.State.PLANNED and self.start < timezone.now()


class InteractionDay(KeptByDatabase):
    """Interactions per responsible, state and day (UTC), kept by database triggers
    (``core.rollups``, declared in ``activities.rollups``): the dashboard counts a month's and all
    planned contacts per employee from it instead of scanning millions of interactions.
    Interactions in the trash are left out; those of a client in the trash are not (readers take
    them off: few clients are in the trash, and trashing one writes no interaction)."""

    pk = models.CompositePrimaryKey("responsible", "state", "day")
    responsible = key_to(USER)
    state = models.CharField(max_length=10)
    day = models.DateField()
    count = models.IntegerField()

    class Meta:
        verbose_name = _("interactions of a day")
        verbose_name_plural = _("interactions by day")

    def __str__(self):
        return f"{self.responsible_id} {self.state} {self.day}: {self.count}"


class Task(BaseModel):
    """A job one user gives another, with a deadline (задание)."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    owner_scoped = True

    title = models.CharField(_("task"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    author = models.ForeignKey(USER, verbose_name=_("author"), on_delete=models.PROTECT,
                               related_name="authored_tasks")
    assignee = models.ForeignKey(USER, verbose_name=_("assignee"), on_delete=models.PROTECT,
                                 related_name="tasks")
    counterparty = models.ForeignKey(Counterparty, verbose_name=_("counterparty"), null=True,
                                     blank=True, on_delete=models.CASCADE, related_name="tasks")
    deadline = models.DateTimeField(_("deadline"), db_index=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN,
                             db_index=True)
    importance = models.CharField(_("importance"), max_length=6, choices=Importance.choices,
                                  default=Importance.NORMAL)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    # Set once the overdue notice went out, so it goes out once.
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["assignee", "state", "deadline"], name="task_assignee_state")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("activities:task_edit", args=[self.pk])

    @classmethod
    def own_q(cls, user):
        return Q(assignee=user) | Q(author=user) | (
            Q(counterparty__isnull=False) & counterparty_scope(user))

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(not_trashed("counterparty", Counterparty))  # a task without a client stays

    @property
    def is_overdue(self):
        return self.state == self.State.OPEN and self.deadline < timezone.now()

    def save(self, *args, **kwargs):
        if self.state == self.State.DONE and self.completed_at is None:
            self.completed_at = timezone.now()
        elif self.state != self.State.DONE:
            self.completed_at = None
        if self.overdue_notified_at and self.deadline and self.deadline > timezone.now():
            self.overdue_notified_at = None  # moved to a later deadline: notify again when it passes
        super().save(*args, **kwargs)


class Reminder(BaseModel):
    """A note to a user at a set time, delivered once in the app and by email (напоминание)."""

    class Kind(models.TextChoices):
        MANUAL = "manual", _("Reminder")
        BIRTHDAY = "birthday", _("Birthday")
        INTERACTION = "interaction", _("Planned interaction")

    owner_scoped = True

    user = models.ForeignKey(USER, verbose_name=_("to whom"), on_delete=models.CASCADE,
                             related_name="reminders")
    remind_at = models.DateTimeField(_("remind at"), db_index=True)
    text = models.CharField(_("text"), max_length=500)
    kind = models.CharField(pgettext_lazy("reminder", "kind"), max_length=12, choices=Kind.choices, default=Kind.MANUAL)
    counterparty = models.ForeignKey(Counterparty, verbose_name=_("counterparty"), null=True,
                                     blank=True, on_delete=models.CASCADE, related_name="reminders")
    interaction = models.ForeignKey(Interaction, verbose_name=_("interaction"), null=True, blank=True,
                                    on_delete=models.CASCADE, related_name="reminders")
    contact_person = models.ForeignKey(ContactPerson, null=True, blank=True, on_delete=models.CASCADE,
                                       related_name="reminders", editable=False)
    # Claimed by exactly one worker (UPDATE … WHERE delivered_at IS NULL); never reset.
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["remind_at", "id"]
        indexes = [models.Index(fields=["delivered_at", "remind_at"], name="reminder_due")]
        constraints = [
            # One birthday reminder per person and date: the daily check may run many times.
            models.UniqueConstraint(fields=["contact_person", "remind_at"],
                                    condition=Q(kind="birthday"), name="reminder_birthday_once"),
        ]

    def __str__(self):
        return self.text

    def get_absolute_url(self):
        return reverse("activities:reminder_edit", args=[self.pk])

    @classmethod
    def own_q(cls, user):
        return Q(user=user)

    def save(self, *args, **kwargs):
        if self.delivered_at and self.remind_at and self.remind_at > timezone.now():
            self.delivered_at = None  # moved to a later time (snoozed): deliver again then
        super().save(*args, **kwargs)


class Notification(models.Model):
    """An in-app message in the bell; reminders and task notices create them."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(_("text"), max_length=500)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # What produced it (e.g. "reminder:12", "task-overdue:7:42"): unique, so a retry or a second
    # worker cannot notify twice.
    source = models.CharField(max_length=80, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self):
        return self.text


class OutgoingEmail(models.Model):
    """A message waiting for, or done with, SMTP; retried with backoff, never silently dropped."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to be sent")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    to = models.CharField(pgettext_lazy("email", "to"), max_length=500)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED,
                             db_index=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    interaction = models.ForeignKey(Interaction, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="emails")
    source = models.CharField(max_length=80, unique=True, null=True, blank=True)
    # Sent as the Message-ID header (the same on every retry): replies name it in In-Reply-To, and
    # the mail intake threads them to this message's interaction and client.
    message_id = models.CharField(max_length=250, blank=True, db_index=True, editable=False)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing email")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.subject} → {self.to}"


def new_feed_token():
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """The secret address of a user's iCalendar feed; regenerating it revokes the old one."""

    user = models.OneToOneField(USER, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.user}"

    def regenerate(self):
        self.token = new_feed_token()
        self.created_at = timezone.now()
        self.save(update_fields=["token", "created_at"])
