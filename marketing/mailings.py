"""Mailings: who receives one (consenting, valid addresses of a segment or group), starting,
pausing and cancelling it, its progress, and unsubscribing (SPEC §6).

The recipients are fixed when the mailing starts (one row per distinct address); the sender
(marketing/mailing_sender.py) then moves each row queued → sending → handed over → sent, never twice.
"""

import dataclasses
import functools

import phonenumbers
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import ContactInfo, ContactKind, Counterparty
from clients.validators import parse_phone

from .models import FINAL_STATES, Audience, Channel, GroupMember, Mailing, MailingRecipient, RecipientState
from .segments import segment_queryset

INSERT_BATCH = 2000
UNSUBSCRIBE_SALT = "marketing.unsubscribe"
KINDS = {Channel.EMAIL: [ContactKind.EMAIL], Channel.SMS: [ContactKind.MOBILE, ContactKind.PHONE]}
SMS_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


@dataclasses.dataclass
class Audit:
    """What starting the mailing would do: recipients and why other addresses are left out."""

    recipients: list = dataclasses.field(default_factory=list)  # (counterparty_id, person_id, address)
    no_consent: int = 0
    unsubscribed: int = 0
    invalid: int = 0
    duplicates: int = 0

    def as_dict(self):
        return {"recipients": len(self.recipients), "no_consent": self.no_consent,
                "unsubscribed": self.unsubscribed, "invalid": self.invalid, "duplicates": self.duplicates}


def clients_of(mailing, user):
    """Clients of the mailing's segment or group that ``user`` may see."""
    if mailing.segment_id:
        return segment_queryset(mailing.segment.query, user)[0]
    return Counterparty.objects.restrict(user).filter(
        pk__in=GroupMember.objects.filter(group_id=mailing.group_id).values("counterparty_id"))


def audience_filter(mailing, clients):
    """Q over ContactInfo: the addresses of ``clients`` the mailing is for."""
    current = Q(contact_person__linked_to__isnull=True) | Q(contact_person__linked_to__gte=timezone.localdate())
    live_person = Q(contact_person__deleted_at__isnull=True) & current
    own = Q(contact_person__isnull=True)
    persons = Q(contact_person__isnull=False) & live_person
    by_audience = {Audience.CLIENTS: own, Audience.PERSONS: persons, Audience.BOTH: own | persons}
    if mailing.segment_id:
        return Q(counterparty__in=clients.values("pk")) & by_audience[mailing.audience]
    members = GroupMember.objects.filter(group_id=mailing.group_id)
    whole_clients = members.filter(contact_person__isnull=True, counterparty__in=clients.values("pk"))
    named_persons = members.filter(contact_person__isnull=False, counterparty__in=clients.values("pk"))
    return ((Q(counterparty__in=whole_clients.values("counterparty_id")) & by_audience[mailing.audience])
            | (Q(contact_person__in=named_persons.values("contact_person_id")) & live_person))


def valid_address(channel, value):
    if channel == Channel.EMAIL:
        try:
            validate_email(value)
        except ValidationError:
            return False
        return True
    number = parse_phone(value)
    return bool(number is not None and phonenumbers.is_valid_number(number)
                and phonenumbers.number_type(number) in SMS_TYPES)


def audit(mailing, user):
    """The recipients ``start`` would create and the addresses it would leave out (one query)."""
    clients = clients_of(mailing, user)
    rows = (ContactInfo.objects.filter(audience_filter(mailing, clients), kind__in=KINDS[mailing.channel])
            .order_by("counterparty_id", "contact_person_id", "pk")
            .values_list("counterparty_id", "contact_person_id", "value", "consent_date", "opted_out_at"))
    result, seen = Audit(), set()
    for cp_id, person_id, value, consent, opted_out in rows.iterator(chunk_size=5000):
        address = value.strip().lower() if mailing.channel == Channel.EMAIL else value.strip()
        if opted_out is not None:
            result.unsubscribed += 1
        elif consent is None:
            result.no_consent += 1
        elif not valid_address(mailing.channel, address):
            result.invalid += 1
        elif address in seen:
            result.duplicates += 1
        else:
            seen.add(address)
            result.recipients.append((cp_id, person_id, address))
    return result


class MailingStateError(Exception):
    pass


def start(mailing, user, site_url=""):
    """Fix the recipients and hand the mailing to the worker; returns the Audit."""
    with transaction.atomic():
        if not Mailing.objects.filter(pk=mailing.pk, state=Mailing.State.DRAFT).update(
                state=Mailing.State.SENDING, started_at=timezone.now(), started_by=user, version=mailing.version + 1):
            raise MailingStateError(_("This mailing has already been started."))
        found = audit(mailing, user)
        now = timezone.now()
        MailingRecipient.objects.bulk_create(
            (MailingRecipient(mailing_id=mailing.pk, counterparty_id=cp, contact_person_id=person, address=address,
                              next_attempt_at=now) for cp, person, address in found.recipients),
            batch_size=INSERT_BATCH)
        mailing.refresh_from_db()
        mailing.stats = found.as_dict()
        mailing.site_url = site_url.rstrip("/")
        if not found.recipients:
            mailing.state, mailing.finished_at = Mailing.State.DONE, now
        mailing.save()
        if found.recipients:
            transaction.on_commit(lambda: enqueue_sender(mailing.pk))
    return found


def enqueue_sender(mailing_id):
    from .tasks import send_mailing

    send_mailing.enqueue(mailing_id)


def set_state(mailing, source, target):
    """pause / resume / cancel: a conditional update, so a click on a stale page does nothing."""
    with transaction.atomic():
        changed = Mailing.objects.filter(pk=mailing.pk, state__in=source).update(
            state=target, version=mailing.version + 1,
            finished_at=timezone.now() if target == Mailing.State.CANCELLED else None)
        if not changed:
            raise MailingStateError(_("The mailing's state has changed meanwhile; reload the page."))
        mailing.refresh_from_db()
        mailing.save(check_version=False)  # a history record of the change
        if target == Mailing.State.SENDING:
            transaction.on_commit(lambda: enqueue_sender(mailing.pk))


def pause(mailing):
    set_state(mailing, [Mailing.State.SENDING], Mailing.State.PAUSED)


def resume(mailing):
    set_state(mailing, [Mailing.State.PAUSED], Mailing.State.SENDING)


def cancel(mailing):
    set_state(mailing, [Mailing.State.SENDING, Mailing.State.PAUSED], Mailing.State.CANCELLED)


def progress(mailing, recipients=None):
    """{state: count} and the share done, for the progress bar (one grouped query)."""
    qs = recipients if recipients is not None else mailing.recipients.all()
    counts = dict(qs.order_by().values_list("state").annotate(n=Count("pk")))
    total = sum(counts.values())
    done = sum(counts.get(s, 0) for s in FINAL_STATES)
    delivered = counts.get(RecipientState.SENT, 0) + counts.get(RecipientState.HANDED_OVER, 0)
    return {"counts": counts, "total": total, "done": done, "delivered": delivered,
            "percent": int(done * 100 / total) if total else 100,
            "states": [(s, label, counts.get(s, 0)) for s, label in RecipientState.choices]}


# --- Unsubscribing ---------------------------------------------------------------------------


def unsubscribe_token(recipient_id):
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(recipient_id))


@functools.cache
def _unsubscribe_path():
    return reverse("marketing_public:unsubscribe", args=["TOKEN"])


def unsubscribe_url(mailing, recipient_id):
    return mailing.site_url + _unsubscribe_path().replace("TOKEN", unsubscribe_token(recipient_id))


def recipient_for_token(token):
    try:
        pk = int(signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return MailingRecipient.objects.select_related("mailing").filter(pk=pk).first()


def unsubscribe(recipient, via=""):
    """Withdraw consent on every contact row with this address; idempotent."""
    now = timezone.now()
    kinds = KINDS[recipient.mailing.channel]
    if recipient.mailing.channel == Channel.EMAIL:
        rows = ContactInfo.objects.filter(kind__in=kinds, value__iexact=recipient.address)
    else:
        rows = ContactInfo.objects.filter(kind__in=kinds, value=recipient.address)
    with transaction.atomic():
        for info in rows.filter(opted_out_at__isnull=True):
            info.opted_out_at = now
            info.save(check_version=False)  # history keeps who/when: the unsubscribe link
        MailingRecipient.objects.filter(pk=recipient.pk, state=RecipientState.QUEUED).update(
            state=RecipientState.UNSUBSCRIBED)
    return now
