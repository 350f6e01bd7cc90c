"""The iCalendar feed: a secret, revocable address; parses; only the owner's events."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from icalendar import Calendar

from activities.models import CalendarFeed, Interaction
from activities.tests.factories import InteractionFactory, ReminderFactory, TaskFactory
from clients.tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2030, 1, 9, 12, 0, tzinfo=MSK)
REGENERATE = "/activities/calendar/feed/regenerate/"
REVOKE = "/activities/calendar/feed/revoke/"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def feed_url(user):
    return f"/activities/calendar/feed/{CalendarFeed.objects.get(user=user).token}.ics"


def fetch(url):
    """Download as a phone calendar would: no session."""
    return Client().get(url)


def parse(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def components(cal, name="VEVENT"):
    return {str(c["UID"]): c for c in cal.walk(name)}


def test_feed_parses_and_holds_only_the_owners_events(clock, manager, teammate, client_for):
    client = CounterpartyFactory(main_manager=manager, name="ООО Ромашка")
    meeting = InteractionFactory(responsible=manager, counterparty=client, subject="Презентация",
                                 content="Show the new line", start=NOW + timedelta(days=1),
                                 end=NOW + timedelta(days=1, hours=1), importance="high")
    call = InteractionFactory(responsible=manager, start=NOW + timedelta(days=2))  # no end: 30 minutes
    task = TaskFactory(assignee=manager, author=teammate, title="Send the contract", deadline=NOW + timedelta(days=3))
    reminder = ReminderFactory(user=manager, text="Call back", remind_at=NOW + timedelta(hours=2))
    # Not the owner's: a teammate's meeting, task and reminder; a task the owner gave someone else.
    InteractionFactory(responsible=teammate, start=NOW + timedelta(days=1))
    TaskFactory(assignee=teammate, author=manager, deadline=NOW + timedelta(days=1))
    ReminderFactory(user=teammate, remind_at=NOW + timedelta(days=1))
    InteractionFactory(responsible=manager, start=NOW + timedelta(days=1), state=Interaction.State.CANCELLED)
    # Too far away for the feed's window.
    InteractionFactory(responsible=manager, start=NOW + timedelta(days=800))

    assert client_for(manager).post(REGENERATE).status_code == 302
    cal = parse(fetch(feed_url(manager)))

    assert str(cal["VERSION"]) == "2.0"
    events = components(cal)
    assert set(events) == {f"interaction-{meeting.pk}@klientura", f"interaction-{call.pk}@klientura",
                           f"task-{task.pk}@klientura", f"reminder-{reminder.pk}@klientura"}
    ev = events[f"interaction-{meeting.pk}@klientura"]
    assert ev.decoded("DTSTART") == meeting.start and ev.decoded("DTEND") == meeting.end
    assert str(ev["SUMMARY"]) == "! Презентация"
    assert "ООО Ромашка" in str(ev["DESCRIPTION"]) and "Show the new line" in str(ev["DESCRIPTION"])
    assert str(ev["URL"]) == f"http://testserver{meeting.get_absolute_url()}"
    ev = events[f"interaction-{call.pk}@klientura"]
    assert ev.decoded("DTEND") - ev.decoded("DTSTART") == timedelta(minutes=30)
    ev = events[f"task-{task.pk}@klientura"]
    assert ev.decoded("DTSTART") == task.deadline and str(ev["SUMMARY"]) == "Task: Send the contract"
    assert str(events[f"reminder-{reminder.pk}@klientura"]["SUMMARY"]) == "Reminder: Call back"


def test_uids_are_stable_and_moves_bump_the_sequence(clock, manager, client_for):
    meeting = InteractionFactory(responsible=manager, start=NOW + timedelta(days=1))
    client_for(manager).post(REGENERATE)
    first = components(parse(fetch(feed_url(manager))))
    meeting.start += timedelta(days=1)
    meeting.save()
    second = components(parse(fetch(feed_url(manager))))
    uid = f"interaction-{meeting.pk}@klientura"
    assert set(first) == set(second) == {uid}
    assert int(second[uid]["SEQUENCE"]) > int(first[uid]["SEQUENCE"])
    assert second[uid].decoded("DTSTART") == meeting.start


def test_feed_does_not_reveal_clients_the_owner_may_not_see(clock, manager, teammate, client_for):
    hidden = CounterpartyFactory(main_manager=teammate, name="ООО Секрет")
    meeting = InteractionFactory(responsible=manager, counterparty=hidden, start=NOW + timedelta(days=1))
    client_for(manager).post(REGENERATE)
    response = fetch(feed_url(manager))
    assert f"interaction-{meeting.pk}@klientura" in components(parse(response))
    assert "Секрет" not in response.content.decode()


def test_regenerating_revokes_the_old_address(clock, manager, client_for):
    InteractionFactory(responsible=manager, start=NOW + timedelta(days=1))
    c = client_for(manager)
    c.post(REGENERATE)
    old = feed_url(manager)
    assert fetch(old).status_code == 200
    c.post(REGENERATE)
    new = feed_url(manager)
    assert new != old
    assert fetch(old).status_code == 404
    assert fetch(new).status_code == 200
    c.post(REVOKE)
    assert not CalendarFeed.objects.filter(user=manager).exists()
    assert fetch(new).status_code == 404


def test_unknown_token_and_inactive_user_are_404(manager, client_for):
    assert fetch("/activities/calendar/feed/nope.ics").status_code == 404
    client_for(manager).post(REGENERATE)
    url = feed_url(manager)
    manager.is_active = False
    manager.save()
    assert fetch(url).status_code == 404


def test_feed_buttons_need_login_and_post(manager, client_for):
    assert Client().post(REGENERATE).status_code == 302
    assert not CalendarFeed.objects.exists()
    assert client_for(manager).get(REGENERATE).status_code == 405


def test_calendar_page_shows_the_feed_address_and_how_to_subscribe(manager, client_for):
    c = client_for(manager)
    html = c.get("/activities/calendar/").content.decode()
    assert 'data-testid="calendar-feed-create"' in html
    c.post(REGENERATE)
    html = c.get("/activities/calendar/").content.decode()
    token = CalendarFeed.objects.get(user=manager).token
    assert f'value="http://testserver/activities/calendar/feed/{token}.ics"' in html
    assert f"webcal://testserver/activities/calendar/feed/{token}.ics" in html
    assert "Add subscribed calendar" in html
