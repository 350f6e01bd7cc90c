"""The user calendar: colouring by a fixed clock, views, filters, access, drag-to-reschedule."""

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from activities.models import Interaction, Reminder, Task
from activities.services import calendar as cal
from activities.tests.factories import InteractionFactory, ReminderFactory, TaskFactory, interaction_type
from clients.models import CounterpartyShare
from clients.tests.factories import CounterpartyFactory
from core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2030, 1, 9, 12, 0, tzinfo=MSK)  # a Wednesday, noon
URL = "/activities/calendar/"
MOVE = "/activities/calendar/move/"


def at(day, hour=10, minute=0):
    """A Moscow time in January 2030."""
    return datetime(2030, 1, day, hour, minute, tzinfo=MSK)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def events_html(response):
    """{data-key: (css classes, inner html)} of the event chips (day / week / month views)."""
    html = response.content.decode()
    found = re.findall(r'<div class="cal-event ([^"]*)" data-testid="event" data-key="([^"]+)"(.*?)</div>', html, re.S)
    return {key: (classes.split(), body) for classes, key, body in found}


def list_rows(response):
    """{data-key: status class} of the list view's rows."""
    found = re.findall(r'<tr class="(cal-[a-z]+)[^"]*" data-testid="event" data-key="([^"]+)"',
                       response.content.decode())
    return {key: css for css, key in found}


def keys(response):
    html = response.content.decode()
    return set(re.findall(r'data-testid="event" data-key="([^"]+)"', html))


# --- Colour by time ---------------------------------------------------------------------------

def test_status_by_a_fixed_clock():
    now = NOW
    assert cal.status_of(True, now - timedelta(days=2), now) == cal.OVERDUE
    assert cal.status_of(True, now - timedelta(hours=1), now) == cal.OVERDUE  # earlier today, still planned
    assert cal.status_of(True, now + timedelta(hours=1), now) == cal.TODAY
    assert cal.status_of(False, now - timedelta(hours=1), now) == cal.TODAY  # done today: black, not red
    assert cal.status_of(True, at(10, 9), now) == cal.LATER
    assert cal.status_of(False, at(8, 9), now) == cal.PAST


def test_week_view_colours_and_importance_marks(clock, manager, client_for):
    overdue = InteractionFactory(responsible=manager, start=at(8, 15), importance="high", subject="Late call")
    today = TaskFactory(assignee=manager, author=manager, deadline=at(9, 17), importance="low", title="Send offer")
    later = ReminderFactory(user=manager, remind_at=at(11, 9), text="Ring back")
    normal_today = InteractionFactory(responsible=manager, start=at(9, 16), subject="Visit")

    chips = events_html(client_for(manager).get(URL, {"view": "week", "date": "2030-01-09"}))

    cls, body = chips[f"interaction-{overdue.pk}"]
    assert "cal-overdue" in cls and 'data-testid="importance-high">!<' in body and "bi-arrow-down" not in body
    cls, body = chips[f"task-{today.pk}"]
    assert "cal-today" in cls and "bi-arrow-down" in body and "importance-high" not in body
    cls, body = chips[f"reminder-{later.pk}"]
    assert "cal-later" in cls and "importance-" not in body
    cls, body = chips[f"interaction-{normal_today.pk}"]
    assert "cal-today" in cls and "importance-" not in body


def test_colours_are_red_black_grey_in_the_stylesheet():
    css = (Path(settings.BASE_DIR) / "static" / "css" / "calendar.css").read_text()
    assert re.search(r"\.cal-overdue[^{]*\{[^}]*--bs-danger", css)
    assert re.search(r"\.cal-today[^{]*\{[^}]*--bs-emphasis-color", css)  # black in the light theme
    assert re.search(r"\.cal-later[^{]*\{[^}]*--bs-secondary-color", css)


def test_list_view_colours_and_done_greyed(clock, manager, client_for):
    overdue = TaskFactory(assignee=manager, author=manager, deadline=at(7, 9))
    done = InteractionFactory(responsible=manager, start=at(8, 9), state=Interaction.State.DONE)
    later = InteractionFactory(responsible=manager, start=at(12, 9))
    c = client_for(manager)
    rows = list_rows(c.get(URL, {"view": "list"}))
    assert rows == {f"task-{overdue.pk}": "cal-overdue", f"interaction-{later.pk}": "cal-later"}
    rows = list_rows(c.get(URL, {"view": "list", "done": "on"}))
    assert rows[f"interaction-{done.pk}"] == "cal-past"


# --- Views ------------------------------------------------------------------------------------

@pytest.fixture
def january(manager, teammate):
    """Events of ``manager`` around the fixed clock, plus some that must never show."""
    e = {
        "wed": InteractionFactory(responsible=manager, start=at(9, 10), subject="Wednesday meeting"),
        "mon": TaskFactory(assignee=manager, author=manager, deadline=at(7, 18)),
        "sun20": ReminderFactory(user=manager, remind_at=at(20, 9)),
        "feb": InteractionFactory(responsible=manager, start=datetime(2030, 2, 3, 10, tzinfo=MSK)),
        "done": InteractionFactory(responsible=manager, start=at(9, 8), state=Interaction.State.DONE),
        "cancelled": InteractionFactory(responsible=manager, start=at(9, 9), state=Interaction.State.CANCELLED),
        "task_done": TaskFactory(assignee=manager, deadline=at(9, 9), state=Task.State.DONE),
        "teammate": InteractionFactory(responsible=teammate, start=at(9, 11)),
        "authored": TaskFactory(author=manager, assignee=teammate, deadline=at(9, 11)),  # not manager's to do
        "deleted": InteractionFactory(responsible=manager, start=at(9, 12)),
    }
    e["deleted"].delete()
    return {name: f"{type(obj).__name__.lower()}-{obj.pk}" for name, obj in e.items()}


def test_a_month_cell_with_many_events_shows_some_and_links_the_rest_to_the_day(clock, manager, client_for):
    """A busy day keeps its cell's height: three events and "+3 more" leading to that day's view."""
    for hour in range(9, 15):
        InteractionFactory(responsible=manager, start=at(15, hour))
    InteractionFactory(responsible=manager, start=at(16, 9))
    c = client_for(manager)
    html = c.get(URL, {"view": "month", "date": "2030-01-09"}).content.decode()
    busy = re.search(r'data-testid="day-2030-01-15">(.*?)</div>\s*<a class="cal-more" href="([^"]+)"[^>]*>([^<]+)</a>',
                     html, re.S)
    assert busy and busy.group(1).count('data-testid="event"') == 3
    assert busy.group(3) == "+3 more"
    assert "view=day" in busy.group(2) and "date=2030-01-15" in busy.group(2).replace("&amp;", "&")
    assert 'data-testid="more-2030-01-16"' not in html  # one event: no link
    assert len(keys(c.get(URL, {"view": "day", "date": "2030-01-15"}))) == 6  # the day shows all


def test_day_week_month_list_contain_the_right_events(clock, manager, client_for, january):
    c = client_for(manager)
    assert keys(c.get(URL, {"view": "day", "date": "2030-01-09"})) == {january["wed"]}
    # English weeks start on Sunday: 6–12 January.
    assert keys(c.get(URL, {"view": "week", "date": "2030-01-09"})) == {january["wed"], january["mon"]}
    assert keys(c.get(URL, {"view": "month", "date": "2030-01-09"})) == {
        january["wed"], january["mon"], january["sun20"]}  # the grid ends on 2 February
    assert keys(c.get(URL, {"view": "list", "date_from": "2030-01-01", "date_to": "2030-02-28"})) == {
        january["wed"], january["mon"], january["sun20"], january["feb"]}
    assert keys(c.get(URL, {"view": "list", "date_from": "2030-01-01", "date_to": "2030-02-28", "done": "on"})) == {
        january["wed"], january["mon"], january["sun20"], january["feb"], january["done"], january["task_done"]}
    # Default view: this week.
    assert keys(c.get(URL)) == {january["wed"], january["mon"]}


def test_events_are_sorted_by_time(clock, manager):
    late = InteractionFactory(responsible=manager, start=at(9, 18))
    early = ReminderFactory(user=manager, remind_at=at(9, 8))
    middle = TaskFactory(assignee=manager, deadline=at(9, 12))
    start, end = cal.day_bounds(date(2030, 1, 9), date(2030, 1, 9))
    events = cal.events_for(manager, manager, start, end)
    assert [(e.kind, e.id) for e in events] == [("reminder", early.pk), ("task", middle.pk), ("interaction", late.pk)]


def test_week_starts_on_monday_in_russian(clock, manager, client_for):
    c = client_for(manager)
    sunday = "2030-01-06"
    html = c.get(URL, {"view": "week", "date": sunday}).content.decode()
    assert 'data-testid="day-2030-01-06"' in html and 'data-testid="day-2030-01-12"' in html  # Sunday-first
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    html = c.get(URL, {"view": "week", "date": sunday}).content.decode()
    days = re.findall(r'data-testid="day-(\d{4}-\d\d-\d\d)"', html)
    assert days[0] == "2029-12-31" and days[-1] == "2030-01-06"  # Monday … Sunday
    assert cal.week_start(date(2030, 1, 6), 1) == date(2029, 12, 31)
    assert cal.week_start(date(2030, 1, 6), 0) == date(2030, 1, 6)


def test_navigation_previous_next_today(clock, manager, client_for):
    c = client_for(manager)
    html = c.get(URL, {"view": "week", "date": "2030-01-09"}).content.decode()
    assert 'href="?view=week&amp;date=2030-01-02" data-testid="calendar-prev"' in html
    assert 'href="?view=week&amp;date=2030-01-16" data-testid="calendar-next"' in html
    assert 'href="?view=week" data-testid="calendar-today"' in html
    html = c.get(URL, {"view": "month", "date": "2030-01-31"}).content.decode()
    assert "date=2029-12-31" in html and "date=2030-02-28" in html  # month steps clamp the day
    html = c.get(URL, {"view": "day", "date": "2030-01-09"}).content.decode()
    assert "date=2030-01-08" in html and "date=2030-01-10" in html


def test_event_links_open_the_event_and_the_client(clock, manager, client_for):
    meeting = InteractionFactory(responsible=manager, start=at(9, 15))
    _, body = events_html(client_for(manager).get(URL, {"view": "day", "date": "2030-01-09"}))[
        f"interaction-{meeting.pk}"]
    assert f'href="/clients/{meeting.counterparty_id}/" data-testid="client-link"' in body
    assert f'href="{meeting.get_absolute_url()}" data-testid="event-link"' in body


def test_bad_parameters_fall_back_to_defaults_and_are_named(clock, manager, client_for):
    c = client_for(manager)
    resp = c.get(URL, {"view": "year", "date": "not-a-date", "importance": "huge"})
    assert resp.status_code == 400 and resp.context["view"] == "week"
    body = resp.content.decode()
    assert all(f'data-field="{name}"' in body for name in ("view", "date", "importance"))
    assert c.get(URL, {"user": "abc"}).status_code == 404
    assert c.get(URL, {"user": "999999"}).status_code == 404


# --- Filters ----------------------------------------------------------------------------------

def test_filters_counterparty_type_importance(clock, manager, client_for):
    romashka = CounterpartyFactory(main_manager=manager, name="ООО Ромашка")
    lutik = CounterpartyFactory(main_manager=manager, name="ООО Лютик")
    call = InteractionFactory(responsible=manager, counterparty=romashka, start=at(9, 10), importance="high",
                              type=interaction_type("outgoing_call"))
    meeting = InteractionFactory(responsible=manager, counterparty=lutik, start=at(9, 11), importance="low")
    task = TaskFactory(assignee=manager, counterparty=romashka, deadline=at(9, 12))
    reminder = ReminderFactory(user=manager, remind_at=at(9, 13))
    k = {o: f"{type(o).__name__.lower()}-{o.pk}" for o in (call, meeting, task, reminder)}
    c = client_for(manager)

    def shown(**params):
        return keys(c.get(URL, {"view": "day", "date": "2030-01-09", **params}))

    assert shown() == set(k.values())
    assert shown(counterparty=romashka.pk) == {k[call], k[task]}
    assert shown(q="ромашк") == {k[call], k[task]}
    assert shown(q="Лютик") == {k[meeting]}
    assert shown(type="task") == {k[task]}
    assert shown(type="reminder") == {k[reminder]}
    assert shown(type="interaction") == {k[call], k[meeting]}
    assert shown(type=f"interaction:{call.type_id}") == {k[call]}
    assert shown(importance="high") == {k[call]}
    assert shown(importance="low") == {k[meeting]}
    assert shown(importance="normal") == {k[task], k[reminder]}
    assert shown(type="interaction", importance="low", q="лютик") == {k[meeting]}


def test_list_period_filter(clock, manager, client_for):
    first = TaskFactory(assignee=manager, deadline=at(2, 10))
    second = TaskFactory(assignee=manager, deadline=at(25, 10))
    c = client_for(manager)
    assert keys(c.get(URL, {"view": "list", "date_from": "2030-01-01", "date_to": "2030-01-10"})) == {
        f"task-{first.pk}"}
    assert keys(c.get(URL, {"view": "list", "date_from": "2030-01-20", "date_to": "2030-01-31"})) == {
        f"task-{second.pk}"}
    # By default a week back and a month ahead of today.
    assert keys(c.get(URL, {"view": "list"})) == {f"task-{first.pk}", f"task-{second.pk}"}


def test_quick_search_does_not_find_through_a_teammates_client(clock, manager, teammate, client_for):
    hidden = CounterpartyFactory(main_manager=teammate, name="ООО Секрет")
    # The manager is responsible for a meeting at a client they do not manage (a head assigned it).
    meeting = InteractionFactory(responsible=manager, counterparty=hidden, start=at(9, 10))
    c = client_for(manager)
    response = c.get(URL, {"view": "day", "date": "2030-01-09"})
    assert f"interaction-{meeting.pk}" in keys(response)
    assert "Секрет" not in response.content.decode()  # the event, but not the client's name or link
    assert keys(c.get(URL, {"view": "day", "date": "2030-01-09", "q": "Секрет"})) == set()


# --- Whose calendar ---------------------------------------------------------------------------

def test_manager_cannot_open_a_teammates_calendar(manager, teammate, client_for):
    assert client_for(manager).get(URL, {"user": teammate.pk}).status_code == 403
    assert client_for(teammate).get(URL, {"user": manager.pk}).status_code == 403


@pytest.mark.parametrize("persona", ["head", "sales_head", "admin_user"])
def test_heads_open_anyones_calendar_and_see_everything(clock, persona, request, manager, client_for):
    viewer = request.getfixturevalue(persona)
    meeting = InteractionFactory(responsible=manager, start=at(9, 10))
    reminder = ReminderFactory(user=manager, remind_at=at(9, 11))
    response = client_for(viewer).get(URL, {"user": manager.pk, "view": "day", "date": "2030-01-09"})
    assert response.status_code == 200
    assert keys(response) == {f"interaction-{meeting.pk}", f"reminder-{reminder.pk}"}
    assert 'data-testid="calendar-feed"' not in response.content.decode()  # not their feed to manage


def test_a_head_opens_a_subordinates_calendar_but_sees_only_what_they_may_see(clock, manager, client_for):
    subordinate = UserFactory(username="junior", head=manager)
    other = UserFactory(username="stranger")
    own_client = CounterpartyFactory(main_manager=manager)
    theirs = InteractionFactory(responsible=subordinate, start=at(9, 10))  # subordinate's own client
    on_mine = InteractionFactory(responsible=subordinate, counterparty=own_client, start=at(9, 11))
    shared = InteractionFactory(responsible=subordinate, start=at(9, 12))
    CounterpartyShare.objects.create(counterparty=shared.counterparty, user=manager)
    ReminderFactory(user=subordinate, remind_at=at(9, 13))  # reminders are private
    c = client_for(manager)

    response = c.get(URL, {"user": subordinate.pk, "view": "day", "date": "2030-01-09"})
    assert response.status_code == 200
    assert keys(response) == {f"interaction-{on_mine.pk}", f"interaction-{shared.pk}"}
    assert f"interaction-{theirs.pk}" not in keys(response)
    assert 'data-testid="calendar-user"' in response.content.decode()  # may switch between the two
    assert c.get(URL, {"user": other.pk}).status_code == 403
    # The subordinate cannot look up to the head.
    assert client_for(subordinate).get(URL, {"user": manager.pk}).status_code == 403


def test_calendar_users(manager, teammate, head):
    junior = UserFactory(username="junior", head=manager)
    assert set(cal.calendar_users(manager)) == {manager, junior}
    assert set(cal.calendar_users(teammate)) == {teammate}
    assert {manager, teammate, junior, head} <= set(cal.calendar_users(head))


def test_login_required(client):
    assert client.get(URL).status_code == 302
    assert client.post(MOVE, {}).status_code == 302


# --- Drag to reschedule -----------------------------------------------------------------------

def move(c, obj, day, version=None, kind=None):
    kind = kind or type(obj).__name__.lower()
    return c.post(MOVE, {"kind": kind, "id": obj.pk, "version": obj.version if version is None else version,
                         "date": day, "view": "week"})


def test_move_keeps_the_time_of_day_and_is_in_history(clock, manager, client_for):
    meeting = InteractionFactory(responsible=manager, start=at(9, 10, 30), end=at(9, 11, 45))
    before = Reminder.objects.create(user=manager, remind_at=at(9, 9, 30), text="soon", interaction=meeting,
                                     kind=Reminder.Kind.INTERACTION)
    delivered = Reminder.objects.create(user=manager, remind_at=at(8, 9), text="old", interaction=meeting,
                                        kind=Reminder.Kind.INTERACTION, delivered_at=at(8, 9))
    response = move(client_for(manager), meeting, "2030-01-11")
    assert response.status_code == 200, response.content
    data = response.json()
    meeting.refresh_from_db()
    assert timezone.localtime(meeting.start) == at(11, 10, 30)
    assert timezone.localtime(meeting.end) == at(11, 11, 45)
    assert data["version"] == meeting.version == 2
    assert f'data-key="interaction-{meeting.pk}"' in data["html"] and 'data-version="2"' in data["html"]
    assert "cal-later" in data["html"]
    latest = meeting.history.first()
    assert latest.history_user == manager and latest.start == meeting.start
    before.refresh_from_db()
    delivered.refresh_from_db()
    assert timezone.localtime(before.remind_at) == at(11, 9, 30)  # the reminder follows the meeting
    assert delivered.remind_at == at(8, 9)


def test_move_task_and_reminder(clock, manager, client_for):
    task = TaskFactory(assignee=manager, author=manager, deadline=at(9, 18, 15))
    reminder = ReminderFactory(user=manager, remind_at=at(10, 8, 5))
    c = client_for(manager)
    assert move(c, task, "2030-01-07").status_code == 200
    assert move(c, reminder, "2030-01-12").status_code == 200
    task.refresh_from_db()
    reminder.refresh_from_db()
    assert timezone.localtime(task.deadline) == at(7, 18, 15)
    assert timezone.localtime(reminder.remind_at) == at(12, 8, 5)


def test_move_someone_elses_event_is_404(clock, manager, teammate, quality, client_for):
    theirs = InteractionFactory(responsible=teammate, start=at(9, 10))
    their_task = TaskFactory(assignee=teammate, author=teammate, deadline=at(9, 10))
    their_reminder = ReminderFactory(user=teammate, remind_at=at(9, 10))
    c = client_for(manager)
    for obj in (theirs, their_task, their_reminder):
        response = move(c, obj, "2030-01-11")
        assert response.status_code == 404 and response.json()["message"]
    mine = InteractionFactory(responsible=manager, start=at(9, 10))
    assert move(client_for(quality), mine, "2030-01-11").status_code == 404  # may view, not change
    assert move(c, mine, "2030-01-11", kind="order").status_code == 404
    theirs.refresh_from_db()
    assert theirs.start == at(9, 10) and theirs.version == 1


def test_move_with_a_stale_version_is_409_and_changes_nothing(clock, manager, client_for):
    meeting = InteractionFactory(responsible=manager, start=at(9, 10))
    meeting.subject = "Changed in another tab"
    meeting.save()  # version 2
    response = move(client_for(manager), meeting, "2030-01-11", version=1)
    assert response.status_code == 409
    assert "Someone else has changed this event" in response.json()["message"]
    meeting.refresh_from_db()
    assert meeting.start == at(9, 10) and meeting.version == 2
    assert meeting.history.count() == 2


def test_only_planned_events_move(clock, manager, client_for):
    done = InteractionFactory(responsible=manager, start=at(8, 10), state=Interaction.State.DONE)
    response = move(client_for(manager), done, "2030-01-11")
    assert response.status_code == 400
    done.refresh_from_db()
    assert done.start == at(8, 10)


def test_move_bad_input_is_400(manager, client_for):
    c = client_for(manager)
    assert c.post(MOVE, {"kind": "task", "id": "x", "version": "1", "date": "2030-01-01"}).status_code == 400
    assert c.post(MOVE, {"kind": "task", "id": "1", "version": "1", "date": "01.01.2030"}).status_code == 400
    assert c.get(MOVE).status_code == 405


def test_a_head_moves_a_subordinates_meeting(clock, manager, head, client_for):
    meeting = InteractionFactory(responsible=manager, start=at(9, 10))
    assert move(client_for(head), meeting, "2030-01-10").status_code == 200
    meeting.refresh_from_db()
    assert meeting.start == at(10, 10)


def test_only_changeable_events_are_draggable(clock, manager, client_for):
    meeting = InteractionFactory(responsible=manager, start=at(9, 10))
    chips = events_html(client_for(manager).get(URL, {"view": "week", "date": "2030-01-09"}))
    assert "data-movable" in chips[f"interaction-{meeting.pk}"][1]
    done = InteractionFactory(responsible=manager, start=at(9, 11), state=Interaction.State.DONE)
    chips = events_html(client_for(manager).get(URL, {"view": "week", "date": "2030-01-09", "done": "on"}))
    assert "data-movable" not in chips[f"interaction-{done.pk}"][1]
    chips = events_html(client_for(manager).get(URL, {"view": "month", "date": "2030-01-09"}))
    cls, body = chips[f"interaction-{meeting.pk}"]
    assert "cal-compact" in cls and "data-movable" in body
    chips = events_html(client_for(manager).get(URL, {"view": "day", "date": "2030-01-09"}))
    assert "data-movable" not in chips[f"interaction-{meeting.pk}"][1]  # dragging is for week and month


def test_navbar_links_to_the_calendar(manager, client_for):
    html = client_for(manager).get("/clients/").content.decode()
    assert 'href="/activities/calendar/" data-testid="nav-calendar"' in html
