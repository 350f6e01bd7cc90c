"""Outgoing SMS: queued in the database, sent by the worker through the gateway, with retries.

The same shape as outgoing email (activities/services/email.py): nothing is sent inside a web
request. A message is queued (``OutgoingSms``), a worker claims it with a conditional UPDATE
(queued → sending, ``next_attempt_at`` = end of its lease), calls the gateway and records the
outcome: sent; back to queued with exponential backoff (``TemporarySmsError``, or anything
unexpected); failed at once (``PermanentSmsError``) or after ``MAX_ATTEMPTS``. A worker killed
mid-send leaves a row whose lease runs out; the next pass queues it again. The gateway gets the
row's stable reference, so a provider that deduplicates drops the copy such a retry sends.
"""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from activities.models import Interaction, InteractionType
from clients import validators

from . import sms as gateways
from .models import OutgoingSms
from .models.sms import MAX_TEXT

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_BACKOFF = datetime.timedelta(hours=1)
# A send that takes longer than this is taken for dead (the HTTP timeout is well below it).
LEASE = datetime.timedelta(minutes=10)
BATCH = 100

State = OutgoingSms.State


def backoff(attempts):
    """Delay before the next try after ``attempts`` failures: 1, 2, 4, … minutes, at most an hour."""
    return min(datetime.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def reference(sms):
    """The stable idempotency key the gateway gets: the same for every attempt of one row."""
    return f"klientura-sms-{sms.pk}"


def clean_number(value, field="to"):
    """E.164 form of ``value``, or a ValidationError naming ``field``."""
    try:
        return validators.normalize_phone((value or "").strip())
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


def clean_text(value, field="text"):
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: _("Write the text of the SMS.")})
    if len(text) > MAX_TEXT:
        raise ValidationError({field: _("An SMS may have at most %(max)s characters (this one has %(n)s).")
                                      % {"max": MAX_TEXT, "n": len(text)}})
    return text


def queue_sms(to, text, *, counterparty, contact_person=None, source=None, created_by=None, interaction=None,
              now=None):
    """Put an SMS in the queue; with ``source`` at most once (returns None if already queued).

    ``to`` is normalised to E.164 (ValidationError on "to" otherwise). Call inside the
    transaction that decided to send it, so both commit or neither does.
    """
    to, text = clean_number(to), clean_text(text)
    fields = {"to": to, "text": text, "segments": gateways.segments(text).segments, "counterparty": counterparty,
              "contact_person": contact_person, "created_by": created_by, "interaction": interaction,
              "next_attempt_at": now or timezone.now()}
    if source is None:
        return OutgoingSms.objects.create(**fields)
    if OutgoingSms.all_objects.filter(source=source).exists():
        return None
    try:
        with transaction.atomic():  # savepoint: a lost race must not abort the caller's transaction
            return OutgoingSms.objects.create(source=source, **fields)
    except IntegrityError:
        return None


def sms_type():
    return InteractionType.by_code("sms") or InteractionType.all_objects.filter(code="sms").first() or \
        InteractionType.objects.create(name="SMS", code="sms")


def send_to_client(user, counterparty, to, text, *, contact_person=None, source=None, now=None):
    """An SMS from a user to a client (the card, the API): a done outgoing "sms" interaction in
    the client's history and the queued message, in one transaction; sent by the worker.

    Returns the queued row, or the existing one when ``source`` was already queued.
    """
    to, text = clean_number(to), clean_text(text)
    now = now or timezone.now()
    with transaction.atomic():
        if source is not None:
            existing = OutgoingSms.all_objects.filter(source=source).first()
            if existing is not None:
                return existing
        interaction = Interaction.objects.create(
            type=sms_type(), direction=Interaction.Direction.OUTGOING, state=Interaction.State.DONE,
            subject=Truncator(text.replace("\n", " ")).chars(200), content=text, counterparty=counterparty,
            responsible=user, start=now, end=now)
        if contact_person is not None:
            interaction.contact_persons.add(contact_person)
        sms = queue_sms(to, text, counterparty=counterparty, contact_person=contact_person, source=source,
                        created_by=user, interaction=interaction, now=now)
        if sms is None:  # the same source won a race meanwhile: keep neither the interaction nor a copy
            transaction.set_rollback(True)
            return OutgoingSms.all_objects.get(source=source)
        send_after_commit(sms.pk)
    return sms


def send_after_commit(sms_id):
    """Send right away once the queuing transaction commits; the periodic pass retries failures."""
    from . import tasks

    transaction.on_commit(lambda: tasks.send_sms.enqueue(sms_id))


def release_stale(now=None):
    """Return messages whose sender died mid-send (lease over) to the queue; it counts as an
    attempt, so a message that kills its worker every time ends up failed."""
    now = now or timezone.now()
    return OutgoingSms.all_objects.filter(state=State.SENDING, next_attempt_at__lte=now).update(
        state=Case(When(attempts__gte=MAX_ATTEMPTS - 1, then=Value(State.FAILED)), default=Value(State.QUEUED)),
        attempts=F("attempts") + 1,
        last_error="The sending worker stopped before finishing.")


def claim(pk, now):
    """queued → sending, only if still queued, due and not in the trash: True for the one worker
    that owns it now."""
    return OutgoingSms.objects.filter(pk=pk, state=State.QUEUED, next_attempt_at__lte=now).update(
        state=State.SENDING, next_attempt_at=now + LEASE) == 1


def send_claimed(sms, gateway, now):
    try:
        provider_id = gateway.send(sms.to, sms.text, reference=reference(sms))
    except gateways.PermanentSmsError as exc:
        _failed(sms, now, str(exc), final=True)
        return False
    except Exception as exc:  # noqa: BLE001 — temporary errors and anything unexpected: retry later
        text = str(exc) if isinstance(exc, gateways.TemporarySmsError) else f"{type(exc).__name__}: {exc}"
        _failed(sms, now, text, final=False)
        return False
    OutgoingSms.all_objects.filter(pk=sms.pk, state=State.SENDING).update(
        state=State.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1, last_error="",
        provider_id=(provider_id or "")[:200])
    return True


def _failed(sms, now, error, final):
    attempts = sms.attempts + 1
    failed = final or attempts >= MAX_ATTEMPTS
    OutgoingSms.all_objects.filter(pk=sms.pk, state=State.SENDING).update(
        state=State.FAILED if failed else State.QUEUED, attempts=attempts, last_error=error[:2000],
        next_attempt_at=now if failed else now + backoff(attempts))
    logger.warning("SMS %s to %s failed (attempt %s%s): %s", sms.pk, sms.to, attempts,
                   ", giving up" if failed else "", error)


def send_sms_now(pk, now=None):
    """Send one message if it is queued and due (the card's background task)."""
    now = now or timezone.now()
    release_stale(now)
    if not claim(pk, now):
        return False
    return send_claimed(OutgoingSms.all_objects.get(pk=pk), gateways.get_gateway(), now)


def send_queued_sms(now=None, limit=BATCH):
    """Send every due message; returns how many went out. Safe to run in several workers."""
    fixed, now = now, now or timezone.now()
    release_stale(now)
    due = list(OutgoingSms.objects.filter(state=State.QUEUED, next_attempt_at__lte=now)
               .order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])
    sent, gateway = 0, None
    for pk in due:
        current = fixed or timezone.now()  # a slow gateway: lease and backoff from the real clock
        if not claim(pk, current):
            continue  # another worker took it
        gateway = gateway or gateways.get_gateway()
        sent += send_claimed(OutgoingSms.all_objects.get(pk=pk), gateway, current)
    return sent


def has_due(now=None):
    """Anything for the periodic task to do (queued and due, or a lease run out)?"""
    now = now or timezone.now()
    return OutgoingSms.all_objects.filter(state__in=[State.QUEUED, State.SENDING], next_attempt_at__lte=now,
                                          deleted_at__isnull=True).exists()


def retry(sms, now=None):
    """A user's "retry" on a failed message: back to the queue with a fresh set of attempts."""
    now = now or timezone.now()
    return OutgoingSms.objects.filter(pk=sms.pk, state=State.FAILED).update(
        state=State.QUEUED, attempts=0, next_attempt_at=now, last_error="") == 1
