"""The working calendar: office hours, weekends and public holidays (SPEC §4, stage rules).

Deadlines such as "call the client within 15 working minutes" or "within 2 working days" skip
nights, weekends and the public holidays of ``settings.KLIENTURA_COUNTRY`` (the ``holidays``
package, which also knows Russia's moved days off). Everything is computed in the current time
zone (``settings.TIME_ZONE``, Europe/Moscow by default), since office hours are local.

Rules of ``add_working_time(start, minutes, hours, days)``:

* a start outside working time first moves to the next working moment (a deal moved on Saturday
  evening starts counting on Monday at the start of the working day);
* ``days`` then move the date on by that many working days, keeping the time of day
  (Friday 15:00 + 1 day = Monday 15:00);
* ``minutes`` and ``hours`` are then spent inside working hours only, carrying over to the next
  working day (Friday 17:30 + 1 hour = Monday 09:30). A deadline that ends exactly at the end of
  the working day stays on that day (17:00 + 1 hour = 18:00, not next morning 09:00).
"""

import datetime as dt
from functools import lru_cache

import holidays
from django.conf import settings
from django.utils import timezone

# Saturday and Sunday (date.weekday() numbers).
DEFAULT_WEEKEND = (5, 6)


def _parse(value):
    hours, minutes = str(value).split(":")
    return dt.time(int(hours), int(minutes))


def workday_bounds():
    start = _parse(getattr(settings, "KLIENTURA_WORKDAY_START", "09:00"))
    end = _parse(getattr(settings, "KLIENTURA_WORKDAY_END", "18:00"))
    if end <= start:
        raise ValueError("KLIENTURA_WORKDAY_END must be later than KLIENTURA_WORKDAY_START")
    return start, end


@lru_cache(maxsize=64)
def _holidays(country, year):
    try:
        return frozenset(holidays.country_holidays(country, years=year))
    except NotImplementedError:  # unknown country code: weekends only
        return frozenset()


def is_holiday(day):
    return day in _holidays(getattr(settings, "KLIENTURA_COUNTRY", "RU"), day.year)


def is_working_day(day):
    weekend = getattr(settings, "KLIENTURA_WEEKEND", DEFAULT_WEEKEND)
    return day.weekday() not in weekend and not is_holiday(day)


def next_working_day(day):
    day += dt.timedelta(days=1)
    for _ in range(400):  # a year of days off would be a misconfiguration, not an endless loop
        if is_working_day(day):
            return day
        day += dt.timedelta(days=1)
    raise ValueError("No working day within a year: check the working calendar settings")


def _at(day, time, tz):
    return timezone.make_aware(dt.datetime.combine(day, time), tz)


def to_working_time(moment):
    """``moment`` if it is working time, else the start of the next working period."""
    tz = timezone.get_current_timezone()
    local = timezone.localtime(moment, tz)
    start, end = workday_bounds()
    day = local.date()
    if is_working_day(day):
        if local.time() < start:
            return _at(day, start, tz)
        if local.time() < end:
            return local
    return _at(next_working_day(day), start, tz)


def add_working_time(start, minutes=0, hours=0, days=0):
    """The deadline ``days`` working days plus ``minutes`` + ``hours`` working time after ``start``."""
    if min(minutes, hours, days) < 0:
        raise ValueError("Working time to add must not be negative")
    tz = timezone.get_current_timezone()
    work_start, work_end = workday_bounds()
    current = to_working_time(start)
    for _ in range(int(days)):
        current = _at(next_working_day(current.date()), current.time(), tz)
    remaining = dt.timedelta(minutes=minutes, hours=hours)
    while True:
        day_end = _at(current.date(), work_end, tz)
        if remaining <= day_end - current:
            return current + remaining
        remaining -= day_end - current
        current = _at(next_working_day(current.date()), work_start, tz)
