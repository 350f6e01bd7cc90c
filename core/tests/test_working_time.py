"""Working calendar: deadlines skip nights, weekends and Russian public holidays (Europe/Moscow)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import timezone

from core.working_time import add_working_time, is_working_day, to_working_time

MSK = ZoneInfo("Europe/Moscow")


def msk(*args):
    return dt.datetime(*args, tzinfo=MSK)


@pytest.fixture(autouse=True)
def moscow(settings):
    settings.KLIENTURA_COUNTRY = "RU"
    settings.KLIENTURA_WORKDAY_START = "09:00"
    settings.KLIENTURA_WORKDAY_END = "18:00"
    with timezone.override(MSK):
        yield


def test_working_days_know_weekends_and_russian_holidays():
    assert is_working_day(dt.date(2026, 11, 3))  # Tuesday
    assert not is_working_day(dt.date(2026, 11, 4))  # Unity Day, a Wednesday
    assert not is_working_day(dt.date(2026, 11, 7))  # Saturday
    assert not is_working_day(dt.date(2026, 1, 9))  # New Year holidays (moved day off)
    assert is_working_day(dt.date(2026, 1, 12))


def test_minutes_within_the_day():
    assert add_working_time(msk(2026, 11, 3, 10, 0), minutes=15) == msk(2026, 11, 3, 10, 15)


def test_minutes_carry_over_the_weekend():
    # Friday 17:50 + 15 min: 10 min left on Friday, 5 more on Monday morning.
    assert add_working_time(msk(2026, 11, 6, 17, 50), minutes=15) == msk(2026, 11, 9, 9, 5)


def test_hours_skip_public_holiday():
    # Tuesday 17:00 + 2 h: 1 h on Tuesday, Wednesday 4 November is Unity Day, 1 h on Thursday.
    assert add_working_time(msk(2026, 11, 3, 17, 0), hours=2) == msk(2026, 11, 5, 10, 0)


def test_deadline_at_end_of_day_stays_on_that_day():
    assert add_working_time(msk(2026, 11, 3, 17, 0), hours=1) == msk(2026, 11, 3, 18, 0)


def test_start_outside_working_time_counts_from_next_working_moment():
    # Saturday evening: counting starts on Monday 09:00.
    assert add_working_time(msk(2026, 11, 7, 20, 0), minutes=15) == msk(2026, 11, 9, 9, 15)
    # Before office hours on a working day: from 09:00 that day.
    assert add_working_time(msk(2026, 11, 3, 7, 0), minutes=30) == msk(2026, 11, 3, 9, 30)
    assert to_working_time(msk(2026, 11, 3, 18, 0)) == msk(2026, 11, 5, 9, 0)


def test_days_keep_time_of_day_and_skip_weekend_and_holiday():
    # Friday 30 October 15:00 + 3 working days: Mon 2, Tue 3, (Wed 4 holiday) Thu 5 November.
    assert add_working_time(msk(2026, 10, 30, 15, 0), days=3) == msk(2026, 11, 5, 15, 0)


def test_new_year_holidays():
    # 30 December 17:00 + 2 h: 1 h on the 30th, 31st is a moved day off, then the holidays
    # of 1–8 January 2027 and the weekend; the rest on Monday 11 January.
    assert add_working_time(msk(2026, 12, 30, 17, 0), hours=2) == msk(2027, 1, 11, 10, 0)


def test_utc_input_is_read_in_local_time():
    start = msk(2026, 11, 6, 17, 50).astimezone(dt.UTC)
    assert add_working_time(start, minutes=15) == msk(2026, 11, 9, 9, 5)


@override_settings(KLIENTURA_WORKDAY_START="10:00", KLIENTURA_WORKDAY_END="19:00")
def test_office_hours_come_from_settings():
    assert add_working_time(msk(2026, 11, 3, 18, 30), hours=1) == msk(2026, 11, 5, 10, 30)


def test_negative_time_is_refused():
    with pytest.raises(ValueError):
        add_working_time(msk(2026, 11, 3, 10, 0), minutes=-1)
