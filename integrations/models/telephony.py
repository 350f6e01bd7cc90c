"""Telephony: the office PBX's calls, the extensions of the users, the card pop-ups (issue 13 §6).

The PBX posts call events (``integrations.telephony.services.record_event``); each call is one
``Call`` row keyed by the PBX's call id. A finished answered call becomes an interaction on the
client, a missed incoming call a "call back" task, each exactly once (``Call.interaction`` /
``Call.task`` are set under the call's row lock).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import ContactPerson, Counterparty, counterparty_scope
from core.models import BaseModel, EditUrlMixin

USER = settings.AUTH_USER_MODEL


class PhoneExtension(EditUrlMixin, BaseModel):
    """A user's line on the PBX (внутренний номер): events naming it are that user's calls."""

    settings_model = True
    edit_url_name = "integrations:extension_edit"

    extension = models.CharField(_("extension"), max_length=32,
                                 help_text=_("The internal number of the line on the PBX, e.g. 101."))
    user = models.ForeignKey(USER, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="phone_extensions")
    comment = models.CharField(_("comment"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("phone extension")
        verbose_name_plural = _("phone extensions")
        ordering = ["extension", "id"]
        constraints = [
            models.UniqueConstraint(fields=["extension"], condition=Q(deleted_at__isnull=True),
                                    name="phoneextension_unique_extension"),
        ]

    def __str__(self):
        return f"{self.extension} · {self.user}"

    def clean(self):
        self.extension = (self.extension or "").strip()


class Call(BaseModel):
    """One call through the office PBX, built from its events (ringing → answered → ended)."""

    class Direction(models.TextChoices):
        INCOMING = "in", _("Incoming")
        OUTGOING = "out", _("Outgoing")

    class State(models.TextChoices):
        RINGING = "ringing", _("Ringing")
        ANSWERED = "answered", _("In progress")
        COMPLETED = "completed", _("Completed")
        MISSED = "missed", _("Missed")

    owner_scoped = True

    call_id = models.CharField(_("PBX call id"), max_length=100, unique=True)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.RINGING,
                             db_index=True)
    from_number = models.CharField(_("from"), max_length=64)
    to_number = models.CharField(_("to"), max_length=64)
    # The outside party's number, E.164 when it parses (what clients are matched on), else as sent.
    number = models.CharField(_("number"), max_length=64, db_index=True)
    counterparty = models.ForeignKey(Counterparty, verbose_name=_("counterparty"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="calls")
    contact_person = models.ForeignKey(ContactPerson, verbose_name=_("contact person"), null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="calls")
    extension = models.CharField(_("extension"), max_length=32, blank=True)
    user = models.ForeignKey(USER, verbose_name=_("employee"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="calls")
    answered_extension = models.CharField(_("answered on extension"), max_length=32, blank=True)
    answered_by = models.ForeignKey(USER, verbose_name=_("answered by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="answered_calls")
    started_at = models.DateTimeField(_("started"), db_index=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    duration = models.PositiveIntegerField(_("duration, seconds"), null=True, blank=True)
    recording_url = models.URLField(_("recording"), max_length=500, blank=True)
    interaction = models.OneToOneField("activities.Interaction", verbose_name=_("interaction"), null=True,
                                       blank=True, on_delete=models.SET_NULL, related_name="call",
                                       editable=False)
    task = models.OneToOneField("activities.Task", verbose_name=_("call-back task"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="call", editable=False)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-started_at"], name="call_user_started"),
            models.Index(fields=["counterparty", "-started_at"], name="call_cp_started"),
        ]
        # Given to the PBX's integration user: its API token may post call events (docs/telephony.md).
        permissions = [("post_call_events", _("Can post call events from the PBX"))]

    def __str__(self):
        return f"{self.get_direction_display()} · {self.number}"

    def get_absolute_url(self):
        return reverse("integrations:call", args=[self.pk])

    @classmethod
    def own_q(cls, user):
        """A sales manager's calls: on their line, answered by them, or with their clients."""
        return Q(user=user) | Q(answered_by=user) | counterparty_scope(user)

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(Q(counterparty__isnull=True) | Q(counterparty__deleted_at__isnull=True))

    @property
    def is_missed(self):
        return self.state == self.State.MISSED

    @property
    def is_finished(self):
        return self.state in (self.State.COMPLETED, self.State.MISSED)

    @property
    def display_number(self):
        from clients.validators import format_phone

        return format_phone(self.number)

    @property
    def duration_text(self):
        if self.duration is None:
            return ""
        minutes, seconds = divmod(self.duration, 60)
        return f"{minutes}:{seconds:02d}"


class CallAlert(models.Model):
    """A card pop-up owed to a user for a call: shown once, by the first page that polls for it."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="alerts")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="call_alerts")
    created_at = models.DateTimeField(default=timezone.now)
    # Claimed by one poll (UPDATE … WHERE shown_at IS NULL); never reset.
    shown_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["call", "user"], name="callalert_once")]
        indexes = [models.Index(fields=["user", "shown_at"], name="callalert_pending")]

    def __str__(self):
        return f"{self.call} → {self.user}"
