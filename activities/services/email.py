"""Outgoing email: a queue in the database, sent by the worker with retries (SPEC §8).

Nothing is sent inside a web request. A message is queued (``OutgoingEmail``), a worker claims it
with a conditional UPDATE (queued → sending), talks to SMTP, and records the outcome:
sent, or back to queued with exponential backoff, or failed after ``MAX_ATTEMPTS`` (still listed,
retried by hand). While a message is "sending", ``next_attempt_at`` holds the end of the
worker's lease: a worker killed mid-send leaves a row whose lease runs out, and the next pass puts
it back in the queue. So a message is never lost; at worst (killed after SMTP accepted it but
before the row was updated) it is sent twice.
"""

import datetime
import logging
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from core import access
from core.outbox import Outbox

from ..models import Interaction, OutgoingEmail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_BACKOFF = datetime.timedelta(hours=1)
# A send that takes longer than this is taken for dead (SMTP timeout is well below it).
LEASE = datetime.timedelta(minutes=10)
SMTP_TIMEOUT = 30  # seconds; Django's default is to wait forever on a silent server
BATCH = 100

State = OutgoingEmail.State


def backoff(attempts):
    """Delay before the next try after ``attempts`` failures: 1, 2, 4, … minutes, at most an hour."""
    return min(datetime.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def queue_email(to, subject, body, *, source=None, created_by=None, interaction=None, now=None):
    """Put a message in the queue; with ``source`` at most once (returns None if already queued).

    Call inside the transaction that decided to send it, so both commit or neither does.
    """
    validate_email(to)
    fields = {"to": to, "subject": subject[:300], "body": body, "created_by": created_by,
              "interaction": interaction, "next_attempt_at": now or timezone.now(), "message_id": new_message_id()}
    if source is None:
        return OutgoingEmail.objects.create(**fields)
    if OutgoingEmail.objects.filter(source=source).exists():
        return None
    try:
        with transaction.atomic():  # savepoint: a lost race must not abort the caller's transaction
            return OutgoingEmail.objects.create(source=source, **fields)
    except IntegrityError:
        return None


def new_message_id():
    """A Message-ID in the sender's domain: ``<…@example.com>``."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "localhost"
    return make_msgid(domain=domain)


OUTBOX = Outbox(OutgoingEmail, waiting=State.QUEUED, working=State.SENDING, failed=State.FAILED, lease=LEASE,
                max_attempts=MAX_ATTEMPTS)
release_stale = OUTBOX.release_stale  # messages whose sender died mid-send (lease over) → queue
_claim = OUTBOX.claim  # queued → sending, only if still queued and due


def _message(email, connection):
    reply_to = []
    if email.created_by_id and email.created_by.email:
        reply_to = [email.created_by.email]
    headers = {"Message-ID": email.message_id} if email.message_id else {}
    return EmailMessage(subject=email.subject, body=email.body, from_email=settings.DEFAULT_FROM_EMAIL,
                        to=[email.to], reply_to=reply_to, headers=headers, connection=connection)


def _send_claimed(email, connection, now):
    try:
        _message(email, connection).send()
    except Exception as exc:  # noqa: BLE001 — any SMTP, socket or encoding error means "retry later"
        attempts = email.attempts + 1
        failed = attempts >= MAX_ATTEMPTS
        OutgoingEmail.objects.filter(pk=email.pk, state=State.SENDING).update(
            state=State.FAILED if failed else State.QUEUED,
            attempts=attempts,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=now if failed else now + backoff(attempts),
        )
        logger.warning("Email %s to %s failed (attempt %s): %s", email.pk, email.to, attempts, exc)
        return False
    OutgoingEmail.objects.filter(pk=email.pk).update(
        state=State.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1, last_error="")
    return True


def _connection():
    return get_connection(fail_silently=False, timeout=getattr(settings, "EMAIL_TIMEOUT", None) or SMTP_TIMEOUT)


def send_email_now(pk, now=None):
    """Send one message if it is queued and due (the compose flow's background task)."""
    now = now or timezone.now()
    release_stale(now)
    if not _claim(pk, now):
        return False
    email = OutgoingEmail.objects.select_related("created_by").get(pk=pk)
    connection = _connection()  # opened by send(), inside _send_claimed's error handling
    try:
        return _send_claimed(email, connection, now)
    finally:
        _close(connection)


def send_queued_emails(now=None, limit=BATCH):
    """Send every due message; returns how many went out. Safe to run in several workers."""
    fixed, now = now, now or timezone.now()
    release_stale(now)
    due = list(OutgoingEmail.objects.filter(state=State.QUEUED, next_attempt_at__lte=now)
               .order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])
    sent = 0
    connection = None
    try:
        for pk in due:
            # A batch may take minutes against a slow server: lease and backoff count from the
            # real clock (a fixed ``now`` is for tests).
            current = fixed or timezone.now()
            if not _claim(pk, current):
                continue  # another worker took it
            email = OutgoingEmail.objects.select_related("created_by").get(pk=pk)
            if connection is None:
                # One SMTP session for the batch; open lazily so an idle pass costs nothing.
                connection = _connection()
            if _send_claimed(email, connection, current):
                sent += 1
            else:
                # The session may be broken: start a fresh one for the next message.
                _close(connection)
                connection = None
    finally:
        _close(connection)
    return sent


def _close(connection):
    if connection is not None:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 — closing a dead SMTP session must not mask the result
            logger.debug("Closing the SMTP connection failed", exc_info=True)


def retry(email, now=None):
    """A user's "retry" on a failed message: back to the queue with a fresh set of attempts."""
    now = now or timezone.now()
    return OutgoingEmail.objects.filter(pk=email.pk, state=State.FAILED).update(
        state=State.QUEUED, attempts=0, next_attempt_at=now) == 1


def visible_emails(user):
    """Outgoing email a user may see: heads and staff all; others what they sent, the messages
    of interactions they can see and the notices addressed to them."""
    qs = OutgoingEmail.objects.all()
    if not access.rule_for(user)[1]:
        return qs.none()
    if user.is_staff or access.can_assign(user):
        return qs
    own = Q(created_by=user) | Q(interaction__in=Interaction.objects.restrict(user))
    if user.email:
        own |= Q(interaction__isnull=True, created_by__isnull=True, to__iexact=user.email)
    return qs.filter(own)
