"""Webhooks: subscriptions of outside systems to events, and the outbox of their deliveries.

A subscription names a target URL, the events it wants and a secret the payloads are signed
with. When an event happens (integrations/webhooks/events.py), one ``WebhookDelivery`` per
matching active subscription is written in the same transaction as the change (an outbox);
the worker sends it after commit (integrations/webhooks/sender.py) and records every try as a
``WebhookAttempt`` — the delivery log.

Only those who manage settings (administrators) see or change any of it: subscriptions carry
secrets and deliveries carry client data of every manager.
"""

import secrets
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from core import access
from core.models import BaseModel, RestrictedQuerySet

SECRET_BYTES = 32
MAX_URL = 500


class Event(models.TextChoices):
    CLIENT_CREATED = "client.created", _("Client created")
    CLIENT_CHANGED = "client.changed", _("Client changed")
    DEAL_STAGE_CHANGED = "deal.stage_changed", _("Deal moved to another stage")
    DEAL_WON = "deal.won", _("Deal won")
    DEAL_LOST = "deal.lost", _("Deal lost")
    ORDER_PAID = "order.paid", _("Order fully paid")
    COMPLAINT_CREATED = "complaint.created", _("Complaint created")
    INQUIRY_CREATED = "inquiry.created", _("Inquiry created")


def new_secret():
    return secrets.token_hex(SECRET_BYTES)


class SettingsOnlyQuerySet(RestrictedQuerySet):
    """Rows only settings managers see at all (reading included), whatever the role's rule."""

    def restrict(self, user, action=access.VIEW, *, walk=False):
        if not access.can_manage_settings(user):
            return self.none()
        return super().restrict(user, action, walk=walk)


class _AliveManager(models.Manager.from_queryset(SettingsOnlyQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class _AllManager(models.Manager.from_queryset(SettingsOnlyQuerySet)):
    pass


def can_allow_private(user):
    """Only an administrator may let a subscription reach private-network addresses."""
    return bool(user and user.is_authenticated and user.is_active
                and (user.is_superuser or user.role == access.Role.ADMIN))


class WebhookSubscription(BaseModel):
    """An outside system's subscription: events it wants POSTed to ``url``, signed with ``secret``."""

    settings_model = True

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("target URL"), max_length=MAX_URL,
                          help_text=_("http:// or https:// address the events are POSTed to."))
    events = models.JSONField(_("events"), default=list, blank=True)
    secret = models.CharField(_("secret"), max_length=128, default=new_secret, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    allow_private = models.BooleanField(
        _("allow private network targets"), default=False,
        help_text=_("Let this subscription reach loopback, private and link-local addresses (an "
                    "administrator's decision: such targets are inside your own network)."))
    description = models.TextField(_("description"), blank=True)

    objects = _AliveManager()
    all_objects = _AllManager()

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("integrations:webhook", args=[self.pk])

    def clean(self):
        from integrations.webhooks.network import check_url_on_save

        events = self.events if isinstance(self.events, list) else None
        known = set(Event.values)
        if not events or any(not isinstance(e, str) or e not in known for e in events):
            raise ValidationError({"events": _("Choose at least one of the known events.")})
        self.events = sorted(set(events), key=Event.values.index)
        if self.url:
            check_url_on_save(self.url, self.allow_private)

    @property
    def secret_hint(self):
        """The secret's last characters: enough to tell which one a receiver has."""
        return f"…{self.secret[-4:]}" if self.secret else ""

    def event_labels(self):
        labels = dict(Event.choices)
        return ", ".join(str(labels.get(e, e)) for e in self.events or [])

    def wants(self, event):
        return self.is_active and event in (self.events or [])


class DeliveryQuerySet(models.QuerySet):
    def restrict(self, user, action=access.VIEW, *, walk=False):
        """Settings managers see the deliveries of live subscriptions; nobody writes them directly."""
        if not access.can_manage_settings(user) or action not in (access.VIEW, access.CHANGE):
            return self.none()
        return self.filter(subscription__deleted_at__isnull=True)


class WebhookDelivery(models.Model):
    """One event for one subscription: the outbox row, sent (and retried) by the worker.

    ``state`` moves only by conditional UPDATEs (see integrations/webhooks/sender.py):
    pending ──claim──▶ sending ──2xx──▶ delivered; a failed try goes back to pending with
    ``next_attempt_at`` after the backoff, or to failed after the last one. While "sending",
    ``next_attempt_at`` is the end of the worker's lease. ``body`` is the exact JSON sent.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    # X-Klientura-Delivery: the same on every retry, for the receiver's idempotency.
    key = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(WebhookSubscription, verbose_name=_("webhook"), on_delete=models.CASCADE,
                                     related_name="deliveries")
    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    event_id = models.UUIDField(_("event id"))
    object_id = models.BigIntegerField(_("object id"), null=True, blank=True)
    body = models.TextField(_("payload"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(_("last response code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due"),
                   models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_sub")]

    def __str__(self):
        return f"{self.event} #{self.object_id or '—'} → {self.subscription}"

    def get_absolute_url(self):
        return reverse("integrations:webhook_delivery", args=[self.pk])


class WebhookAttempt(models.Model):
    """One try of a delivery: when, how long, the response code and the start of the body."""

    delivery = models.ForeignKey(WebhookDelivery, verbose_name=_("delivery"), on_delete=models.CASCADE,
                                 related_name="attempt_log")
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started"))
    duration_ms = models.PositiveIntegerField(_("duration, ms"), default=0)
    address = models.CharField(_("connected to"), max_length=60, blank=True)
    status_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response_body = models.TextField(_("response (start)"), blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["delivery", "number", "pk"]

    def __str__(self):
        return f"{self.delivery_id} #{self.number}: {self.status_code or Truncator(self.error).chars(40)}"

    @property
    def ok(self):
        return self.status_code is not None and 200 <= self.status_code < 300
