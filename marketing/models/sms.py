"""Outgoing SMS: a queue in the database, sent by the worker through the gateway (marketing/sms.py)
with retries, like outgoing email (activities.OutgoingEmail); see marketing/services_sms.py."""

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from activities.models import Interaction
from clients import validators
from clients.models import ContactPerson, Counterparty, counterparty_scope
from core.models import BaseModel

from .campaigns import USER

MAX_TEXT = 1000  # characters: 15 parts in GSM-7, 16 in UCS-2 is already far beyond one SMS


class OutgoingSms(BaseModel):
    """An SMS to a client or one of its contact persons: queued, sending, sent or failed.

    A sales manager sees the SMS of their clients (through the counterparty). While "sending",
    ``next_attempt_at`` is the end of the worker's lease. ``source`` names what queued it, so a
    retried request or mailing cannot queue it twice.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to be sent")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    owner_scoped = True

    to = models.CharField(pgettext_lazy("sms", "to"), max_length=16, help_text=_("Phone number in E.164 form."))
    text = models.TextField(_("text"), max_length=MAX_TEXT)
    segments = models.PositiveSmallIntegerField(_("parts"), default=1, editable=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED,
                             db_index=True, editable=False)
    attempts = models.PositiveIntegerField(_("attempts"), default=0, editable=False)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    provider_id = models.CharField(_("provider's message id"), max_length=200, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(USER, verbose_name=_("sent by"), null=True, blank=True, editable=False,
                                   on_delete=models.SET_NULL, related_name="+")
    counterparty = models.ForeignKey(Counterparty, verbose_name=_("client"), on_delete=models.CASCADE,
                                     related_name="sms_messages")
    contact_person = models.ForeignKey(ContactPerson, verbose_name=_("contact person"), null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="sms_messages")
    interaction = models.ForeignKey(Interaction, verbose_name=_("interaction"), null=True, blank=True,
                                    editable=False, on_delete=models.SET_NULL, related_name="sms_messages")
    source = models.CharField(max_length=80, unique=True, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("outgoing SMS")
        verbose_name_plural = _("outgoing SMS")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="sms_due"),
                   models.Index(fields=["counterparty", "-created_at"], name="sms_client")]

    def __str__(self):
        return f"{self.to}: {Truncator(self.text).chars(40)}"

    @property
    def display_to(self):
        return validators.format_phone(self.to)

    def get_absolute_url(self):
        return reverse("clients:counterparty", args=[self.counterparty_id]) + "?tab=sms"

    @classmethod
    def own_q(cls, user):
        return counterparty_scope(user)

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(counterparty__deleted_at__isnull=True)
