"""The clients' section of the My day page (core.myday): birthdays of the contact persons of the
user's clients in the next days (``KLIENTURA_BIRTHDAY_DAYS_AHEAD``); registered from
``ClientsConfig.ready()``."""

import calendar
import datetime

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import access
from core.calendar import object_url
from core.myday import LIMIT, MyDaySection, Row, register_section

from .models import ContactPerson


def upcoming(today, days_ahead):
    """{(month, day): the date it falls on} for today and the next ``days_ahead`` days."""
    days = {}
    for offset in range(min(max(int(days_ahead), 0), 180) + 1):
        day = today + datetime.timedelta(days=offset)
        days[(day.month, day.day)] = day
    if (2, 28) in days and not calendar.isleap(days[(2, 28)].year):
        days[(2, 29)] = days[(2, 28)]  # born on 29 February: kept on the 28th in common years
    return days


def birthday_rows(user, day):
    days = upcoming(day.today, settings.KLIENTURA_BIRTHDAY_DAYS_AHEAD)
    match = Q()
    for month, dom in days:
        match |= Q(birthday__month=month, birthday__day=dom)
    qs = (ContactPerson.objects.restrict(user, access.VIEW)
          .filter(Q(responsible=user) | Q(counterparty__main_manager=user))
          .filter(match, birthday__isnull=False)
          .filter(Q(linked_to__isnull=True) | Q(linked_to__gte=day.today))
          .select_related("counterparty"))
    rows = []
    for person in qs:
        occurs = days[(person.birthday.month, person.birthday.day)]
        age = occurs.year - person.birthday.year
        note = ", ".join(p for p in (person.position, _("turns %(age)s") % {"age": age} if age > 0 else "") if p)
        rows.append(Row(id=person.pk, title=person.full_name, when=occurs, url=object_url(person),
                        client=person.counterparty.name, client_url=object_url(person.counterparty), note=note))
    rows.sort(key=lambda row: (row.when, row.title))
    return rows[:LIMIT + 1]


def register():
    """Called from ``ClientsConfig.ready()``."""
    register_section(MyDaySection(
        "birthdays", _("Birthdays"), birthday_rows, icon="gift",
        empty=_("No birthdays in the next days.")), 70)
