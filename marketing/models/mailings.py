"""Email and SMS mailings: the mailing (a BaseModel with history) and one row per recipient, the
unit of exactly-once sending (see marketing/mailing_sender.py)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.models import ContactPerson, Counterparty, counterparty_scope
from core.models import BaseModel, RestrictedQuerySet, not_trashed

from .campaigns import MARKETING_ROLES, USER, Campaign, MailingGroup, Segment


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", pgettext_lazy("channel", "SMS")


class Audience(models.TextChoices):
    BOTH = "both", _("Clients and their contact persons")
    CLIENTS = "clients", _("Clients' own addresses")
    PERSONS = "persons", _("Contact persons")


class Mailing(BaseModel):
    """A message sent once to every consenting address of a segment or a mailing group."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        DONE = "done", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    editor_roles = MARKETING_ROLES

    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices, default=Channel.EMAIL)
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="mailings")
    segment = models.ForeignKey(Segment, verbose_name=_("segment"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="mailings")
    group = models.ForeignKey(MailingGroup, verbose_name=_("mailing group"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="mailings")
    audience = models.CharField(_("send to"), max_length=8, choices=Audience.choices, default=Audience.BOTH)
    subject = models.CharField(_("subject"), max_length=200, blank=True,
                               help_text=_("Email only. May use the same {{ variables }} as the text."))
    body = models.TextField(_("text"), help_text=_(
        "Plain text. Variables: {{ first_name }}, {{ middle_name }}, {{ last_name }}, {{ full_name }}, "
        "{{ client_name }}, {{ manager_name }}. Anything else is sent as written."))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT,
                             editable=False, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True, editable=False)
    started_by = models.ForeignKey(USER, verbose_name=_("started by"), null=True, blank=True, editable=False,
                                   on_delete=models.SET_NULL, related_name="+")
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True, editable=False)
    # Fixed at the start: how many addresses were taken and why the others were left out.
    stats = models.JSONField(default=dict, blank=True, editable=False)
    # The site address the unsubscribe links point to (the request's, or KLIENTURA_BASE_URL).
    site_url = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        verbose_name = _("mailing")
        verbose_name_plural = _("mailings")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("marketing:mailing", args=[self.pk])

    @property
    def editable(self):
        return self.state == self.State.DRAFT

    def clean(self):
        if bool(self.segment_id) == bool(self.group_id):
            raise ValidationError({"segment": _("Choose either a segment or a mailing group.")})
        if self.channel == Channel.EMAIL and not self.subject.strip():
            raise ValidationError({"subject": _("An email needs a subject.")})


class RecipientState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    # The message is complete at the server but not yet confirmed: counted as sent if the worker
    # dies now (see mailing_sender), never sent again.
    HANDED_OVER = "handed", _("Handed over")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")


class MailingRecipient(models.Model):
    """One address of one mailing; its state moves only through conditional UPDATEs."""

    owner_scoped = True
    settings_model = False
    derived = True  # written by the sender, never edited: no trash, no version, no history

    mailing = models.ForeignKey(Mailing, verbose_name=_("mailing"), on_delete=models.CASCADE,
                                related_name="recipients")
    counterparty = models.ForeignKey(Counterparty, verbose_name=_("client"), on_delete=models.CASCADE,
                                     related_name="mailing_recipients")
    contact_person = models.ForeignKey(ContactPerson, verbose_name=_("contact person"), null=True, blank=True,
                                       on_delete=models.CASCADE, related_name="mailing_recipients")
    address = models.CharField(_("address"), max_length=254)
    state = models.CharField(_("state"), max_length=12, choices=RecipientState.choices,
                             default=RecipientState.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # While queued: not before this time (retry backoff); while sending: the end of the lease.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=40, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    provider_id = models.CharField(max_length=200, blank=True)
    interaction = models.ForeignKey("activities.Interaction", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    objects = RestrictedQuerySet.as_manager()
    all_objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("mailing recipient")
        verbose_name_plural = _("mailing recipients")
        ordering = ["mailing", "pk"]
        constraints = [models.UniqueConstraint(fields=["mailing", "address"], name="recipient_once")]
        indexes = [models.Index(fields=["mailing", "state", "next_attempt_at"], name="recipient_due")]

    def __str__(self):
        return f"{self.mailing}: {self.address}"

    def get_absolute_url(self):
        return reverse("marketing:mailing", args=[self.mailing_id]) + f"?recipient={self.pk}"

    @classmethod
    def own_q(cls, user):
        return counterparty_scope(user)

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(not_trashed("counterparty", Counterparty), not_trashed("mailing", Mailing))

    @property
    def done(self):
        return self.state in FINAL_STATES


# States a recipient is finished in (the mailing is done when none is left outside them).
FINAL_STATES = (RecipientState.SENT, RecipientState.HANDED_OVER, RecipientState.FAILED,
                RecipientState.UNSUBSCRIBED)
DELIVERED = Q(state__in=[RecipientState.SENT, RecipientState.HANDED_OVER])
