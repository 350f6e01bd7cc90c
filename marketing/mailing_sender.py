"""Sending a mailing: no recipient gets it twice and none is skipped, with any number of workers,
and a worker may be killed at any moment (at the cost, at most, of the one message it was
completing: see below).

A recipient row moves only by conditional UPDATEs:

    queued ──claim (batch, lease)──▶ sending ──hand over──▶ handed ──server's 250──▶ sent
       ▲                               │                       │
       └── lease over / 4xx / network ◀┘        (worker died: stays handed, counted as sent)

The email is written to the SMTP server up to, but not including, the final ``.`` of DATA while
the row is still "sending" (a server discards a message whose DATA never ended). Only after
the row is committed as "handed" — on the condition that this worker still owns it — does the
worker send the ``.``. So a worker killed before that commit leaves a row that the next worker
sends again (the server never got it), and one killed after it leaves a row that is never sent
again. The only way to lose a message is to die between the database's commit and writing the
``.`` — the commit's round trip (about 0.4 ms on PostgreSQL with a local disk, of ~10 ms a
message), after which the row counts as sent though the server discarded the message; the
only way to duplicate one is for the server to accept a DATA it never saw end, which SMTP
forbids. An SMS is handed over before the gateway is called, with the recipient's
id as the gateway's idempotency key.

Each delivered message is recorded as an interaction in the client's history, in batches,
guarded by ``interaction IS NULL`` so a re-run never writes two.
"""

import collections
import datetime
import logging
import re
import smtplib
import socket
import time
import uuid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import make_msgid
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from activities.models import Interaction, InteractionType
from clients.models import ContactInfo

from . import personalize
from .mailings import KINDS, unsubscribe_url
from .models import DELIVERED, Channel, Mailing, MailingRecipient, RecipientState

logger = logging.getLogger(__name__)
S = RecipientState
BATCH = 50
MAX_ATTEMPTS = 5
MAX_BACKOFF = datetime.timedelta(hours=1)
SMTP_TIMEOUT = 30
CRLF = re.compile(rb"\r\n|\r|\n")
LEADING_DOT = re.compile(rb"(?m)^\.")


class Temporary(Exception):
    """Try this recipient again later."""


class Permanent(Exception):
    """This recipient cannot be reached: failed for good."""


class LostClaim(Exception):
    """Another worker took the recipient over (our lease ran out): leave it alone."""


def lease():
    return datetime.timedelta(seconds=settings.KLIENTURA_MAILING_LEASE)


def backoff(attempts):
    return min(datetime.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


# --- Claims -------------------------------------------------------------------------------------


def release_stale(mailing_id, now):
    """Rows of dead (or too slow) workers: "sending" back to the queue, "handed" left as they are
    (delivered) but freed for whoever records their history."""
    rows = MailingRecipient.objects.filter(mailing_id=mailing_id, next_attempt_at__lte=now)
    back = rows.filter(state=S.SENDING).update(
        state=S.QUEUED, claimed_by="", attempts=F("attempts") + 1,
        last_error="The sending worker stopped before finishing.")
    rows.filter(DELIVERED, interaction__isnull=True).exclude(claimed_by="").update(claimed_by="")
    return back


def claim_batch(mailing_id, token, now, size=BATCH):
    """queued → sending for up to ``size`` due rows; returns the ids this worker got (empty only
    when nothing is due). PostgreSQL skips rows another worker is claiming; SQLite's immediate
    transactions take turns."""
    due = MailingRecipient.objects.filter(mailing_id=mailing_id, state=S.QUEUED, next_attempt_at__lte=now)
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True)
    with transaction.atomic():
        ids = list(due.order_by("pk").values_list("pk", flat=True)[:size])
        MailingRecipient.objects.filter(pk__in=ids, state=S.QUEUED).update(
            state=S.SENDING, claimed_by=token, next_attempt_at=now + lease())
    return list(MailingRecipient.objects.filter(pk__in=ids, state=S.SENDING, claimed_by=token)
                .order_by("pk").values_list("pk", flat=True))


def hand_over(pk, token):
    """sending → handed, only if this worker still owns the row; committed before the message
    is completed at the server."""
    with transaction.atomic():
        return MailingRecipient.objects.filter(pk=pk, state=S.SENDING, claimed_by=token).update(
            state=S.HANDED_OVER, sent_at=timezone.now()) == 1


def retry_later(pk, token, states, error, now):
    row = MailingRecipient.objects.filter(pk=pk, claimed_by=token, state__in=states)
    current = row.values_list("attempts", flat=True).first()
    if current is None:
        return
    attempts = current + 1
    if attempts >= MAX_ATTEMPTS:
        row.update(state=S.FAILED, attempts=attempts, last_error=error[:2000], claimed_by="")
    else:
        row.update(state=S.QUEUED, attempts=attempts, last_error=error[:2000], claimed_by="",
                   next_attempt_at=now + backoff(attempts))


def fail(pk, token, states, error):
    MailingRecipient.objects.filter(pk=pk, claimed_by=token, state__in=states).update(
        state=S.FAILED, attempts=F("attempts") + 1, last_error=error[:2000], claimed_by="")


# --- Channels -----------------------------------------------------------------------------------


class EmailChannel:
    """SMTP in two steps: ``prepare`` sends everything but the end of DATA, ``complete`` ends it.

    Other Django backends (console, locmem, dummy: development, tests, the demo) have no two
    steps: ``complete`` hands them the whole message.
    """

    def __init__(self, backend=None):
        self.backend = backend
        self.connection = None
        self.pending = None

    def open(self):
        if self.connection is None:
            self.connection = get_connection(self.backend, fail_silently=False,
                                             timeout=getattr(settings, "EMAIL_TIMEOUT", None) or SMTP_TIMEOUT)
            self.connection.open()
            if self.two_phase:
                # The end of DATA is a write of its own: without this, Nagle's algorithm holds it
                # until the server's delayed ACK (40 ms a message).
                self.connection.connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.connection

    @property
    def two_phase(self):
        return isinstance(self.connection, SmtpBackend)

    @property
    def smtp(self):
        return self.open().connection

    def message(self, mailing, recipient, text):
        msg = EmailMessage(subject=text["subject"], body=text["body"], from_email=settings.DEFAULT_FROM_EMAIL,
                           to=[recipient.address])
        link = unsubscribe_url(mailing, recipient.pk)
        msg.extra_headers = {
            "Message-ID": make_msgid(f"mailing{mailing.pk}.{recipient.pk}", domain="klientura"),
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Precedence": "bulk",
        }
        return msg

    def prepare(self, mailing, recipient, text):
        msg = self.message(mailing, recipient, text)
        try:
            self.open()
        except (OSError, smtplib.SMTPException) as exc:
            self.reset()
            raise Temporary(f"{type(exc).__name__}: {exc}") from exc
        if not self.two_phase:
            self.pending = msg
            return
        data = LEADING_DOT.sub(b"..", CRLF.sub(b"\r\n", msg.message().as_bytes(linesep="\r\n")))
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        try:
            smtp = self.smtp
            smtp.ehlo_or_helo_if_needed()
            code, reply = smtp.mail(settings.DEFAULT_FROM_EMAIL)
            self.check(code, reply, smtp)
            code, reply = smtp.rcpt(recipient.address)
            self.check(code, reply, smtp)
            code, reply = smtp.docmd("data")
            if code != 354:
                self.check(code if code >= 400 else 451, reply, smtp)
            smtp.send(data)
        except (OSError, smtplib.SMTPException) as exc:
            self.reset()
            raise Temporary(f"{type(exc).__name__}: {exc}") from exc

    def check(self, code, reply, smtp):
        if 200 <= code < 300:
            return
        smtp.rset()
        text = f"{code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
        raise (Permanent if code >= 500 else Temporary)(text)

    def complete(self):
        """End DATA; the server's answer decides. Returns the server's reply text."""
        if self.pending is not None:
            msg, self.pending = self.pending, None
            try:
                self.connection.send_messages([msg])
            except Exception as exc:  # noqa: BLE001 — whatever the backend raises: try again later
                raise Temporary(f"{type(exc).__name__}: {exc}") from exc
            return ""
        smtp = self.smtp
        try:
            smtp.send(b".\r\n")
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self.reset()
            raise Unknown(f"{type(exc).__name__}: {exc}") from exc
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        if code == 250:
            return text[:200]
        raise (Permanent if code >= 500 else Temporary)(f"{code} {text}")

    def abort(self):
        # DATA cannot be taken back: dropping the connection makes the server discard it.
        self.reset()

    def reset(self):
        self.pending = None
        if self.connection is not None and self.two_phase and self.connection.connection is not None:
            try:
                self.connection.connection.close()
            except Exception:  # noqa: BLE001 — a broken socket is what we are getting rid of
                logger.debug("Closing a broken SMTP connection failed", exc_info=True)
            self.connection.connection = None
        self.connection = None

    def close(self):
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # noqa: BLE001 — the messages are recorded; a failed QUIT changes nothing
                logger.debug("Closing the SMTP connection failed", exc_info=True)
            self.connection = None


class SmsChannel:
    """The gateway is called after the hand-over; the recipient id is its idempotency key."""

    def __init__(self):
        from .sms import get_gateway

        self.gateway = get_gateway()
        self.pending = None

    def prepare(self, mailing, recipient, text):
        self.pending = (recipient.address, text["body"], f"mailing-{mailing.pk}-{recipient.pk}")

    def complete(self):
        from .sms import PermanentSmsError, TemporarySmsError

        to, body, reference = self.pending
        try:
            return str(self.gateway.send(to, body, reference=reference))[:200]
        except TemporarySmsError as exc:
            raise Temporary(str(exc)) from exc
        except PermanentSmsError as exc:
            raise Permanent(str(exc)) from exc

    def abort(self):
        self.pending = None

    def close(self):
        self.pending = None


class Unknown(Exception):
    """The connection broke after the message was completed: it may have been delivered."""


def channel_for(mailing, email_backend=None):
    return EmailChannel(email_backend) if mailing.channel == Channel.EMAIL else SmsChannel()


# --- The loop -------------------------------------------------------------------------------------


def texts(mailing, recipient):
    ctx = personalize.context_for(recipient.counterparty, recipient.contact_person)
    return {"subject": personalize.subject_line(personalize.render(mailing.subject, ctx)),
            "body": personalize.render(mailing.body, ctx)}


def withdrawn(mailing, recipients):
    """Addresses among ``recipients`` whose consent was withdrawn since the mailing started."""
    addresses = [r.address for r in recipients]
    return {v.lower() if mailing.channel == Channel.EMAIL else v for v in ContactInfo.objects.filter(
        kind__in=KINDS[mailing.channel], value__in=addresses + [a for a in addresses if a != a.lower()],
        opted_out_at__isnull=False).values_list("value", flat=True)}


class Throttle:
    def __init__(self, rate):
        self.interval = 1.0 / rate if rate else 0
        self.next = time.monotonic()

    def wait(self):
        if not self.interval:
            return
        now = time.monotonic()
        if now < self.next:
            time.sleep(self.next - now)
        self.next = max(now, self.next) + self.interval


def still_sending(mailing_id):
    return Mailing.objects.filter(pk=mailing_id, state=Mailing.State.SENDING).exists()


def deliver(channel, mailing, recipient, token, now, accepted=None):
    """Send one claimed recipient; returns True if the server accepted it. ``accepted`` collects
    the row with the server's reply, to be marked sent with the rest of the batch (see
    ``mark_sent``); without it the row is marked at once."""
    text = texts(mailing, recipient)
    try:
        channel.prepare(mailing, recipient, text)
    except Temporary as exc:
        retry_later(recipient.pk, token, [S.SENDING], str(exc), now)
        return False
    except Permanent as exc:
        fail(recipient.pk, token, [S.SENDING], str(exc))
        return False
    if not hand_over(recipient.pk, token):
        channel.abort()
        return False
    try:
        provider_id = channel.complete()
    except Unknown as exc:
        logger.warning("Mailing %s: no answer after completing %s: %s", mailing.pk, recipient.address, exc)
        return True  # handed over: counted as sent, never sent again
    except Temporary as exc:
        retry_later(recipient.pk, token, [S.HANDED_OVER], str(exc), now)
        return False
    except Permanent as exc:
        fail(recipient.pk, token, [S.HANDED_OVER], str(exc))
        return False
    recipient.state, recipient.provider_id = S.SENT, provider_id
    if accepted is None:
        mark_sent([recipient], token)
    else:
        accepted.append(recipient)
    return True


def mark_sent(recipients, token):
    """handed → sent with the server's reply, one statement per distinct reply (a test server
    answers each message alike) in one transaction. A worker killed before this leaves the rows
    handed over, which count as sent."""
    by_reply = collections.defaultdict(list)
    for r in recipients:
        by_reply[r.provider_id].append(r.pk)
    with transaction.atomic():
        for reply, pks in by_reply.items():
            MailingRecipient.objects.filter(pk__in=pks, state=S.HANDED_OVER, claimed_by=token).update(
                state=S.SENT, provider_id=reply)


def send_mailing(mailing_id, token=None, max_batches=None, email_backend=None, rate=None):
    """Send what is due of one mailing; several workers may run this at once. Returns the
    number of messages this call got accepted. ``rate``: messages per second, default
    ``KLIENTURA_MAILING_RATE``; 0 does not pace."""
    token = token or uuid.uuid4().hex
    mailing = Mailing.objects.filter(pk=mailing_id).first()
    if mailing is None:
        return 0
    channel = channel_for(mailing, email_backend)
    throttle = Throttle(settings.KLIENTURA_MAILING_RATE if rate is None else rate)
    sent = batches = 0
    try:
        while still_sending(mailing_id) and (max_batches is None or batches < max_batches):
            now = timezone.now()
            release_stale(mailing_id, now)
            ids = claim_batch(mailing_id, token, now)
            if not ids:
                break
            batches += 1
            rows = list(MailingRecipient.objects.filter(pk__in=ids).order_by("pk").select_related(
                "counterparty__main_manager", "contact_person"))
            gone, accepted = withdrawn(mailing, rows), []
            for recipient in rows:
                if recipient.address in gone:
                    MailingRecipient.objects.filter(pk=recipient.pk, state=S.SENDING, claimed_by=token).update(
                        state=S.UNSUBSCRIBED, claimed_by="")
                    continue
                throttle.wait()
                sent += deliver(channel, mailing, recipient, token, timezone.now(), accepted)
            mark_sent(accepted, token)
            record_history(mailing, token)
    finally:
        channel.close()
    record_history(mailing, token, adopt=True)
    finish_if_complete(mailing_id)
    return sent


# Rows still to send, or sent but not yet in the client's history.
WAITING = Q(state__in=[S.QUEUED, S.SENDING]) | (DELIVERED & Q(interaction__isnull=True))


def unfinished(mailing_id):
    return MailingRecipient.objects.filter(WAITING, mailing_id=mailing_id)


def finish_if_complete(mailing_id):
    if unfinished(mailing_id).exists():
        return False
    with transaction.atomic():
        if not Mailing.objects.filter(pk=mailing_id, state=Mailing.State.SENDING).update(
                state=Mailing.State.DONE, finished_at=timezone.now(), version=F("version") + 1):
            return False
        mailing = Mailing.objects.get(pk=mailing_id)
        mailing.save(check_version=False)  # the history shows when it finished
    return True


# --- History ------------------------------------------------------------------------------------


def record_history(mailing, token, adopt=False):
    """An interaction per delivered message of this worker (``adopt``: also those a dead worker
    handed over), written once: the row is taken with ``interaction IS NULL``."""
    if adopt:
        MailingRecipient.objects.filter(DELIVERED, mailing_id=mailing.pk, interaction__isnull=True,
                                        claimed_by="").update(claimed_by=token)
    mine = (MailingRecipient.objects.filter(mailing_id=mailing.pk, claimed_by=token, interaction__isnull=True)
            .filter(Q(state=S.SENT) | Q(state=S.HANDED_OVER)))
    with transaction.atomic():
        rows = list(mine.select_for_update(of=("self",)).select_related("counterparty__main_manager", "contact_person"))
        if not rows:
            return 0
        kind = InteractionType.by_code("email" if mailing.channel == Channel.EMAIL else "sms")
        basis = ContentType.objects.get_for_model(Mailing)
        author = mailing.started_by_id
        items = []
        for r in rows:
            text = texts(mailing, r)
            items.append(Interaction(
                type=kind, direction=Interaction.Direction.OUTGOING, state=Interaction.State.DONE,
                subject=(text["subject"] or mailing.name)[:200], content=text["body"],
                counterparty_id=r.counterparty_id, responsible_id=author or r.counterparty.main_manager_id,
                start=r.sent_at or timezone.now(), basis_type=basis, basis_id=mailing.pk))
        created = bulk_create_with_history(items, Interaction, batch_size=500)
        if created and created[0].pk is None:  # backends that return no ids
            raise RuntimeError("bulk_create returned no primary keys")
        links = [Interaction.contact_persons.through(interaction_id=i.pk, contactperson_id=r.contact_person_id)
                 for i, r in zip(created, rows, strict=True) if r.contact_person_id]
        Interaction.contact_persons.through.objects.bulk_create(links)
        for interaction, r in zip(created, rows, strict=True):
            r.interaction, r.claimed_by = interaction, ""
        MailingRecipient.objects.filter(interaction__isnull=True).bulk_update(rows, ["interaction", "claimed_by"])
    return len(rows)
