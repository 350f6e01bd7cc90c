"""Sending webhook deliveries: claimed with one conditional UPDATE, signed, POSTed, logged, retried.

The shape of outgoing SMS (marketing/services_sms.py) and reminders (activities/services/
reminders.py): a delivery moves only by conditional UPDATEs,

    pending ──claim (lease)──▶ sending ──2xx──▶ delivered
       ▲                          │
       └──── non-2xx / network ◀──┘──▶ failed (after the last retry, or a refused target)

so of any number of workers exactly one owns a delivery at a time: a second worker's claim
changes no row and it moves on. Every try is logged (``WebhookAttempt``: start, duration,
address, response code, the start of the body, or the error). A worker killed mid-send leaves a
row whose lease runs out; the next pass puts it back in the queue (counting an attempt). The POST
itself cannot be part of a database transaction: a worker that dies after the receiver answered
but before the outcome is committed makes the receiver get the delivery again — with the same
``X-Klientura-Delivery`` id, which is what receivers deduplicate on.
"""

import datetime
import hashlib
import hmac
import http.client
import logging
import time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.outbox import Outbox

from ..models.webhooks import WebhookAttempt, WebhookDelivery
from . import network

logger = logging.getLogger(__name__)
State = WebhookDelivery.State

# After the 1st, 2nd, … failed try, wait this long; after the last one the delivery has failed.
BACKOFF = (datetime.timedelta(minutes=1), datetime.timedelta(minutes=5), datetime.timedelta(minutes=30),
           datetime.timedelta(hours=2), datetime.timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1
# A send takes at most a few timeouts; a "sending" row older than this belongs to a dead worker.
LEASE = datetime.timedelta(minutes=2)
BATCH = 100


def sign(secret, timestamp, body):
    """hex HMAC-SHA256 of "<timestamp>.<raw body>" with the subscription's secret."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def headers_for(delivery, secret, timestamp, body):
    return {
        "X-Klientura-Event": delivery.event,
        "X-Klientura-Delivery": str(delivery.key),
        "X-Klientura-Timestamp": str(timestamp),
        "X-Klientura-Signature": f"sha256={sign(secret, timestamp, body)}",
    }


def backoff(attempts):
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


OUTBOX = Outbox(WebhookDelivery, waiting=State.PENDING, working=State.SENDING, failed=State.FAILED, lease=LEASE,
                max_attempts=MAX_ATTEMPTS)
release_stale = OUTBOX.release_stale  # deliveries whose worker died mid-send go back, counting a try
claim = OUTBOX.claim  # pending → sending: True for the one worker that owns it now


def deliver(pk, now=None):
    """Send one due delivery if this call wins its claim; True when the receiver took it (2xx)."""
    now = now or timezone.now()
    if not claim(pk, now):
        return False
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=pk)
    sub = delivery.subscription
    number = WebhookAttempt.objects.filter(delivery_id=pk).count() + 1
    if sub.deleted_at is not None or not sub.is_active:
        _finish(delivery, now, number, final=True, error=_("The webhook was deactivated or deleted."), log=False)
        return False
    body = delivery.body.encode()
    timestamp = int(now.timestamp())
    started = time.monotonic()
    try:
        response = network.post(sub.url, body, headers_for(delivery, sub.secret, timestamp, body),
                                allow_private=sub.allow_private)
    except network.Refused as exc:
        _finish(delivery, now, number, final=True, error=str(exc), duration=network.elapsed_ms(started))
        return False
    except (network.Unreachable, OSError, http.client.HTTPException) as exc:
        error = str(exc) if isinstance(exc, network.Unreachable) else f"{type(exc).__name__}: {exc}"
        _finish(delivery, now, number, error=error, duration=network.elapsed_ms(started))
        return False
    ok = 200 <= response.status < 300
    _finish(delivery, now, number, response=response, ok=ok, duration=network.elapsed_ms(started),
            error="" if ok else _("The receiver answered %(status)s.") % {"status": response.status})
    return ok


def _finish(delivery, now, number, *, response=None, ok=False, final=False, error="", duration=0, log=True):
    """Record the try and move the row on — only if this worker still owns it."""
    attempts = delivery.attempts + 1
    if ok:
        changes = {"state": State.DELIVERED, "delivered_at": timezone.now(), "last_error": ""}
    elif final or attempts >= MAX_ATTEMPTS:
        changes = {"state": State.FAILED, "last_error": error[:2000]}
    else:
        changes = {"state": State.PENDING, "next_attempt_at": now + backoff(attempts), "last_error": error[:2000]}
    with transaction.atomic():
        if log:
            WebhookAttempt.objects.create(
                delivery_id=delivery.pk, number=number, started_at=now, duration_ms=duration,
                address=response.address if response else "", status_code=response.status if response else None,
                response_body=response.body if response else "", error=error[:2000])
        moved = WebhookDelivery.objects.filter(pk=delivery.pk, state=State.SENDING, attempts=delivery.attempts).update(
            attempts=attempts, last_status=response.status if response else None, **changes)
    if not moved:
        logger.warning("Webhook delivery %s was taken over by another worker while being sent", delivery.pk)
    elif not ok:
        logger.info("Webhook delivery %s, try %s: %s", delivery.pk, number, error)


def due(now):
    return (WebhookDelivery.objects.filter(state=State.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id"))


def send_due(now=None, limit=BATCH):
    """Send every due delivery (a batch); returns how many were taken. Safe in several workers."""
    fixed = now
    release_stale(now or timezone.now())
    sent = 0
    for pk in list(due(now or timezone.now()).values_list("pk", flat=True)[:limit]):
        try:
            sent += deliver(pk, fixed or timezone.now())  # a slow receiver: lease and backoff from the real clock
        except Exception:
            # One broken row must not block the rest; its lease runs out and it is tried again.
            logger.exception("Sending webhook delivery %s failed", pk)
    return sent


def has_due(now=None):
    now = now or timezone.now()
    return WebhookDelivery.objects.filter(state__in=[State.PENDING, State.SENDING], next_attempt_at__lte=now).exists()


def resend(delivery, now=None):
    """A user's "send again" on a delivered or failed delivery: back to the queue with a fresh set
    of tries (the log keeps the earlier ones). False if it is queued or being sent already."""
    now = now or timezone.now()
    with transaction.atomic():
        done = WebhookDelivery.objects.filter(pk=delivery.pk, state__in=[State.DELIVERED, State.FAILED]).update(
            state=State.PENDING, attempts=0, next_attempt_at=now, delivered_at=None) == 1
        if done:
            from . import tasks

            transaction.on_commit(tasks.send_soon)
    return done
