"""Mail intake over IMAP (SPEC §8): each letter taken exactly once, attached to its client.

A worker leases a mailbox (one conditional UPDATE: two workers never read it at once), opens the
folder read-only (flags untouched: the mailbox's own users still see their letters as unread) and
fetches the UIDs above the last one taken. Each letter is stored in its own transaction together
with the mailbox's new last UID, and (mailbox, UIDVALIDITY, UID) is unique: a worker killed
half-way leaves the mailbox at the last letter fully taken, and the next pass goes on from there
without taking any letter twice. When the server renumbers the folder (a new UIDVALIDITY) reading
starts again from the beginning and letters already taken are recognised by their Message-ID.

A letter goes to a client by its thread first (In-Reply-To / References naming a letter we sent or
one we took), then by the sender's address among the clients' and contact persons' email
addresses. A letter nobody is found for waits in the review list.
"""

import datetime
import imaplib
import logging
import ssl

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import Interaction, InteractionType, OutgoingEmail
from clients.models import ContactInfo, ContactKind, Counterparty
from core import attachments

from ..models.mail import IncomingLetter, Mailbox
from .parsing import parse

logger = logging.getLogger(__name__)

LEASE = datetime.timedelta(minutes=10)
TIMEOUT = 60  # seconds, for the IMAP connection
BATCH = 50  # letters fetched per FETCH command
MAX_LETTERS = 500  # per mailbox and pass: a huge backlog is taken over several passes
State = IncomingLetter.State


class MailboxError(Exception):
    pass


# --- Reading the server ------------------------------------------------------------------------

def connect(mailbox):
    if mailbox.security == Mailbox.Security.SSL:
        client = imaplib.IMAP4_SSL(mailbox.host, mailbox.port, ssl_context=ssl.create_default_context(),
                                   timeout=TIMEOUT)
    else:
        client = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=TIMEOUT)
        if mailbox.security == Mailbox.Security.STARTTLS:
            client.starttls(ssl.create_default_context())
    client.login(mailbox.username, mailbox.password)
    return client


def _check(result, what):
    status, data = result
    if status != "OK":
        raise MailboxError(f"{what}: {status} {data!r}")
    return data


def open_folder(client, folder):
    """Select ``folder`` read-only; its UIDVALIDITY."""
    _check(client.select(_quoted(folder), readonly=True), f"SELECT {folder}")
    validity = client.response("UIDVALIDITY")[1]
    if not validity or not validity[0]:
        raise MailboxError("The server gave no UIDVALIDITY.")
    return int(validity[0])


def _quoted(folder):
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def new_uids(client, after):
    data = _check(client.uid("SEARCH", None, f"UID {after + 1}:*"), "UID SEARCH")
    # "n:*" also matches the highest UID when it is below n: keep only the new ones.
    return sorted(uid for uid in (int(x) for x in (data[0] or b"").split()) if uid > after)


def fetch(client, uids):
    """{uid: raw message} for ``uids`` (BODY.PEEK: the \\Seen flag stays as it was)."""
    data = _check(client.uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])"), "UID FETCH")
    found = {}
    for item in data:
        if not isinstance(item, tuple):
            continue
        head = item[0].decode("ascii", "replace")
        marker = head.find("UID ")
        if marker >= 0:
            found[int(head[marker + 4:].split()[0].rstrip(")"))] = item[1]
    return found


# --- One pass over a mailbox -------------------------------------------------------------------

def claim(mailbox, now):
    return Mailbox.objects.filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now), pk=mailbox.pk,
                                  active=True).update(lease_until=now + LEASE) == 1


def poll(mailbox, now=None):
    """Take the mailbox's new letters; how many were taken (None: another worker holds it)."""
    now = now or timezone.now()
    if not claim(mailbox, now):
        return None
    taken, error = 0, ""
    try:
        client = connect(mailbox)
        try:
            taken = _read(client, mailbox)
        finally:
            _logout(client)
    except (OSError, imaplib.IMAP4.error, MailboxError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        logger.warning("Mailbox %s: %s", mailbox.pk, error)
    Mailbox.objects.filter(pk=mailbox.pk).update(lease_until=None, polled_at=timezone.now(), last_error=error)
    return taken


def _logout(client):
    try:
        client.logout()
    except (OSError, imaplib.IMAP4.error):
        pass


def _read(client, mailbox):
    validity = open_folder(client, mailbox.folder)
    mailbox.refresh_from_db(fields=["uidvalidity", "last_uid"])
    if mailbox.uidvalidity != validity:
        # A new numbering: start from the top (letters already taken are known by Message-ID).
        Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=validity, last_uid=0)
        mailbox.uidvalidity, mailbox.last_uid = validity, 0
    uids = new_uids(client, mailbox.last_uid)[:MAX_LETTERS]
    taken = 0
    for start in range(0, len(uids), BATCH):
        chunk = uids[start:start + BATCH]
        raw = fetch(client, chunk)
        for uid in chunk:
            if uid in raw and take(mailbox, validity, uid, raw[uid]):
                taken += 1
            elif uid not in raw:
                _advance(mailbox, validity, uid)  # expunged meanwhile
    return taken


def _advance(mailbox, validity, uid):
    Mailbox.objects.filter(pk=mailbox.pk, uidvalidity=validity, last_uid__lt=uid).update(last_uid=uid)


def take(mailbox, validity, uid, raw):
    """Store one letter and attach it (one transaction with the mailbox's progress); False when it
    had been taken already."""
    parsed = parse(raw)
    with transaction.atomic():
        _advance(mailbox, validity, uid)
        if parsed.message_id and IncomingLetter.all_objects.filter(
                mailbox=mailbox, message_id=parsed.message_id).exclude(uidvalidity=validity).exists():
            return False  # the same letter under an earlier UIDVALIDITY
        try:
            with transaction.atomic():
                letter = IncomingLetter.objects.create(
                    mailbox=mailbox, uidvalidity=validity, uid=uid, message_id=parsed.message_id,
                    in_reply_to=parsed.in_reply_to, references=" ".join(parsed.references), sender=parsed.sender,
                    sender_name=parsed.sender_name, recipients=parsed.recipients, subject=parsed.subject,
                    sent_at=parsed.sent_at, text=parsed.text, html=parsed.html, size=len(raw))
        except IntegrityError:
            return False
        store_attachments(letter, parsed.attachments)
        counterparty, person, reply_to = find_client(parsed)
        letter.reply_to_email = reply_to
        if counterparty is not None and responsible_for(letter, counterparty) is not None:
            attach(letter, counterparty, person)
        else:
            letter.save(update_fields=["reply_to_email"])
    return True


def store_attachments(letter, parts):
    """The letter's files, kept with it (core attachments). One the limits refuse (empty, too large)
    is named in the letter's notes instead: the letter itself must still come in."""
    skipped = []
    for part in parts:
        try:
            attachments.attach(letter, part.content, part.name, content_type=part.content_type)
        except ValidationError as exc:
            skipped.append(_("%(name)s was not stored: %(reason)s") % {
                "name": part.name, "reason": " ".join(exc.messages)})
    if skipped:
        letter.notes = "\n".join(skipped)
        letter.save(update_fields=["notes"])


# --- Finding the client ------------------------------------------------------------------------

def find_client(parsed):
    """(counterparty, contact person, outgoing email answered) — by thread first, then by address."""
    reply_to = None
    ids = parsed.thread_ids
    if ids:
        reply_to = (OutgoingEmail.objects.filter(message_id__in=ids, interaction__isnull=False)
                    .select_related("interaction__counterparty").order_by("-id").first())
        if reply_to and not reply_to.interaction.counterparty.is_deleted:
            return reply_to.interaction.counterparty, _person(parsed.sender, reply_to.interaction.counterparty), \
                reply_to
        earlier = (IncomingLetter.objects.filter(message_id__in=ids, counterparty__isnull=False,
                                                 counterparty__deleted_at__isnull=True)
                   .select_related("counterparty").order_by("-id").first())
        if earlier:
            return earlier.counterparty, _person(parsed.sender, earlier.counterparty), reply_to
    counterparty, person = by_address(parsed.sender)
    return counterparty, person, reply_to


def _addresses(address):
    address = (address or "").strip()
    local, _at, domain = address.rpartition("@")
    return {address, f"{local}@{domain.lower()}"} if local else set()


def _emails(address):
    return ContactInfo.objects.filter(kind=ContactKind.EMAIL, value__in=_addresses(address),
                                      counterparty__deleted_at__isnull=True)


def by_address(address):
    """The one client with this address (and the contact person it belongs to); (None, None) when
    no client or several have it."""
    rows = list(_emails(address).values_list("counterparty_id", "contact_person_id").distinct()[:10])
    if not rows:
        rows = list(ContactInfo.objects.filter(kind=ContactKind.EMAIL, value__iexact=address.strip(),
                                               counterparty__deleted_at__isnull=True)
                    .values_list("counterparty_id", "contact_person_id").distinct()[:10]) if address else []
    clients = {cp for cp, _person in rows}
    if len(clients) != 1:
        return None, None
    counterparty = Counterparty.objects.get(pk=clients.pop())
    persons = {person for _cp, person in rows if person}
    return counterparty, counterparty.contact_persons.filter(pk=persons.pop()).first() if len(persons) == 1 else None


def _person(address, counterparty):
    person_ids = set(_emails(address).filter(counterparty=counterparty, contact_person__isnull=False)
                     .values_list("contact_person_id", flat=True)[:2])
    return counterparty.contact_persons.filter(pk=person_ids.pop()).first() if len(person_ids) == 1 else None


# --- Attaching ----------------------------------------------------------------------------------

def responsible_for(letter, counterparty):
    mailbox = letter.mailbox
    return mailbox.owner or counterparty.main_manager or mailbox.responsible


def attach(letter, counterparty, person=None, user=None):
    """The letter becomes an incoming email interaction of ``counterparty`` (in the caller's transaction)."""
    responsible = user if user is not None and not letter.mailbox.owner_id else responsible_for(letter, counterparty)
    interaction = Interaction.objects.create(
        type=InteractionType.by_code("email"), direction=Interaction.Direction.INCOMING,
        state=Interaction.State.DONE, subject=(letter.subject or _("(no subject)"))[:200],
        content=letter.text, counterparty=counterparty, responsible=responsible,
        start=letter.sent_at or letter.received_at, basis=letter.reply_to_email.interaction
        if letter.reply_to_email_id and letter.reply_to_email.interaction_id else None)
    if person is not None:
        interaction.contact_persons.add(person)
    letter.counterparty, letter.contact_person, letter.interaction = counterparty, person, interaction
    letter.state = State.ATTACHED
    letter.save()
    return interaction


class ReviewError(Exception):
    pass


def assign(letter, counterparty, user, remember=False):
    """From the review list: attach the letter to ``counterparty``; ``remember`` adds the sender's
    address to the client's contact information, so the next letter finds its way alone."""
    with transaction.atomic():
        letter = IncomingLetter.objects.select_for_update().select_related("mailbox").get(pk=letter.pk)
        if letter.state == State.ATTACHED:
            raise ReviewError(_("The letter is attached to a client already."))
        attach(letter, counterparty, user=user)
        if remember and letter.sender and not _emails(letter.sender).filter(counterparty=counterparty).exists():
            info = ContactInfo(counterparty=counterparty, kind=ContactKind.EMAIL, value=letter.sender,
                               comment=_("From an incoming letter"))
            info.full_clean()
            info.save()
    return letter


def ignore(letter):
    """From the review list: the letter is no client's (spam, a supplier…); it stays listed as ignored."""
    with transaction.atomic():
        letter = IncomingLetter.objects.select_for_update().get(pk=letter.pk)
        if letter.state != State.REVIEW:
            raise ReviewError(_("Only a letter waiting for review can be ignored."))
        letter.state = State.IGNORED
        letter.save()
    return letter


def poll_all(now=None):
    """One pass over every active mailbox; letters taken in all."""
    total = 0
    for mailbox in Mailbox.objects.filter(active=True).order_by("pk"):
        total += poll(mailbox, now) or 0
    return total
