"""Reminder delivery (exactly once) and automatic birthday reminders (SPEC §3).

Delivery: each due reminder is claimed with ``UPDATE … SET delivered_at = now WHERE pk = … AND
delivered_at IS NULL``; only the worker whose UPDATE changed the row goes on, and the notification
and email are created in the same transaction as the claim. A second worker gets rowcount 0; a
worker killed before commit leaves the reminder unclaimed, so the next pass delivers it. Reminders
whose time passed while no worker ran are simply due: they are delivered late, not dropped.
"""

import calendar
import datetime
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from clients.models import ContactPerson

from ..models import Reminder
from .notifications import can_see_counterparty, in_language_of, notify, url_of

logger = logging.getLogger(__name__)
BATCH = 500
BIRTHDAY_HOUR = 9


def due_reminders(now):
    # Reminder.objects excludes deleted reminders. Those about something now in the trash wait:
    # restored, they are delivered late; left there, never.
    return (Reminder.objects.filter(remind_at__lte=now, delivered_at__isnull=True)
            .exclude(counterparty__deleted_at__isnull=False)
            .exclude(interaction__deleted_at__isnull=False)
            .exclude(interaction__counterparty__deleted_at__isnull=False)
            .exclude(contact_person__deleted_at__isnull=False)
            .exclude(contact_person__counterparty__deleted_at__isnull=False)
            .order_by("remind_at", "id"))


def claim(pk, now):
    """Mark delivered if nobody did yet; True means the caller owns the delivery."""
    return Reminder.objects.filter(pk=pk, delivered_at__isnull=True).update(delivered_at=now) == 1


def deliver_due_reminders(now=None):
    """Deliver every due, undelivered reminder; returns how many this call delivered."""
    now = now or timezone.now()
    delivered = 0
    for pk in list(due_reminders(now).values_list("pk", flat=True)[:BATCH]):
        try:
            if deliver(pk, now):
                delivered += 1
        except Exception:
            # Rolled back, so it is retried next pass; one bad reminder must not block the rest.
            logger.exception("Delivering reminder %s failed", pk)
    return delivered


def deliver(pk, now=None):
    now = now or timezone.now()
    with transaction.atomic():
        if not claim(pk, now):
            return False  # another worker (or an earlier run) delivered it
        reminder = Reminder.objects.select_related(
            "user", "counterparty", "interaction", "contact_person").get(pk=pk)
        # The time is part of the source: a snoozed (re-armed) reminder is a new delivery.
        source = f"reminder:{pk}:{int(reminder.remind_at.timestamp())}"
        with in_language_of(reminder.user):
            text, url = message(reminder)
            notify(reminder.user, text, url=url, source=source,
                   email_subject=_("Reminder: %(text)s") % {"text": text[:150]}, now=now)
    return True


def counterparty_id_of(reminder):
    if reminder.counterparty_id:
        return reminder.counterparty_id
    if reminder.interaction_id:
        return reminder.interaction.counterparty_id
    if reminder.contact_person_id:
        return reminder.contact_person.counterparty_id
    return None


def message(reminder):
    """(text, url) for the user. If the client was taken away from them (reassigned, unshared,
    deleted), the text — which usually names the client — is withheld and no link is given."""
    cp_id = counterparty_id_of(reminder)
    if cp_id and not can_see_counterparty(reminder.user, cp_id):
        when = formats.date_format(timezone.localtime(reminder.remind_at), "SHORT_DATETIME_FORMAT")
        return _("Reminder for %(when)s about a client you no longer have access to.") % {"when": when}, ""
    if reminder.interaction_id:
        url = url_of(reminder.interaction)
    elif cp_id:
        url = url_of(reminder.counterparty or reminder.contact_person)
    else:
        url = url_of(reminder)
    return reminder.text, url


# --- Birthdays ----------------------------------------------------------------------------


def _at_nine(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(BIRTHDAY_HOUR)))


def _recipient(person):
    """The person's responsible user if they may see the client, else the client's main manager."""
    for user in (person.responsible, person.counterparty.main_manager):
        if user is not None and user.is_active and can_see_counterparty(user, person.counterparty_id):
            return user
    return None


def create_birthday_reminders(today=None, days_ahead=None):
    """One reminder per contact person whose birthday falls within ``days_ahead`` days.

    The reminder is at 09:00 local time ``days_ahead`` days before the birthday, or today when
    that day has passed. Idempotent: it runs every scheduler loop; an existing birthday reminder
    for the same occurrence (even one the user deleted) stops a new one, and the unique constraint
    ``reminder_birthday_once`` settles two workers racing on the same day.
    """
    today = today or timezone.localdate()
    if days_ahead is None:
        days_ahead = settings.KLIENTURA_BIRTHDAY_DAYS_AHEAD
    days_ahead = min(max(int(days_ahead), 0), 180)  # beyond half a year the yearly dates overlap
    occurrences = {}  # (month, day) → date of the birthday within the window
    for offset in range(days_ahead + 1):
        day = today + datetime.timedelta(days=offset)
        occurrences[(day.month, day.day)] = day
    match = Q()
    for month, day in occurrences:
        match |= Q(birthday__month=month, birthday__day=day)
    if (2, 28) in occurrences and not calendar.isleap(occurrences[(2, 28)].year):
        # Born on 29 February: in common years the birthday is kept on the 28th.
        match |= Q(birthday__month=2, birthday__day=29)
    persons = (ContactPerson.objects.filter(match, birthday__isnull=False,
                                            counterparty__deleted_at__isnull=True)
               .filter(Q(linked_to__isnull=True) | Q(linked_to__gte=today))
               .select_related("counterparty", "counterparty__main_manager", "responsible"))
    created = 0
    for person in persons:
        bd = person.birthday
        occurs = occurrences.get((bd.month, bd.day)) or occurrences[(2, 28)]  # 29 Feb in a common year
        if _create_one(person, occurs, today, days_ahead):
            created += 1
    return created


def _create_one(person, occurs, today, days_ahead):
    user = _recipient(person)
    if user is None:
        return False
    # Any birthday reminder in the weeks before this occurrence is this occurrence's reminder.
    window_start = _at_nine(occurs - datetime.timedelta(days=max(days_ahead, 31) + 1))
    if Reminder.all_objects.filter(kind=Reminder.Kind.BIRTHDAY, contact_person=person,
                                   remind_at__gte=window_start, remind_at__lte=_at_nine(occurs)).exists():
        return False
    remind_on = max(occurs - datetime.timedelta(days=days_ahead), today)
    with in_language_of(user):  # the text is stored: write it in the recipient's language
        text = _("Birthday of %(person)s (%(counterparty)s) on %(date)s") % {
            "person": person.full_name, "counterparty": person.counterparty,
            "date": formats.date_format(occurs, "DATE_FORMAT")}
    if person.position:
        text = f"{text}, {person.position}"
    try:
        with transaction.atomic():
            Reminder.objects.create(user=user, remind_at=_at_nine(remind_on), text=text[:500],
                                    kind=Reminder.Kind.BIRTHDAY, counterparty=person.counterparty,
                                    contact_person=person)
    except IntegrityError:
        return False  # another worker created it a moment ago
    return True
