"""My day (core.myday): each section shows the user's own rows due today or overdue, not a
teammate's; done / tomorrow act through htmx with access and optimistic locking; who lands on it;
a fixed number of queries."""

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import F
from django.utils import timezone

from activities.models import Interaction, Reminder, Task
from activities.tests.factories import InteractionFactory, ReminderFactory, TaskFactory
from clients.tests.factories import ContactPersonFactory, CounterpartyFactory
from core import myday
from sales.models import Stage
from sales.tests.factories import DealFactory, OrderFactory, OrderLineFactory, PaymentFactory, ShipmentFactory

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2030, 1, 9, 12, 0, tzinfo=MSK)  # a Wednesday, noon
TODAY = date(2030, 1, 9)
URL = "/my-day/"


def at(day, hour=10):
    return datetime(2030, 1, day, hour, 0, tzinfo=MSK)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def action(pk, section, what):
    return f"/my-day/{section}/{pk}/{what}/"


def rows(response, section):
    """Titles of the rows of ``section`` on the page."""
    html = response.content.decode()
    block = re.search(rf'data-testid="myday-{section}".*?</section>', html, re.S)
    assert block, f"no section {section}"
    return re.findall(r'data-row="[^"]+">.*?<a href="[^"]*"[^>]*>([^<]+)</a>', block.group(0), re.S)


def sales_world(user, counterparty, prefix):
    order = OrderFactory(counterparty=counterparty, responsible=user, number=f"{prefix}-1")
    line = OrderLineFactory(order=order, product=f"{prefix} pump")
    PaymentFactory(order=order, kind="planned", date=date(2030, 1, 7), amount=500, invoice_number=f"{prefix}-INV")
    PaymentFactory(order=order, kind="planned", date=date(2030, 1, 20), amount=100)  # later: not today
    ShipmentFactory(line=line, kind="planned", date=TODAY, quantity=1)
    return order


@pytest.fixture
def world(manager, teammate):
    mine = CounterpartyFactory(main_manager=manager, name="Mine LLC")
    theirs = CounterpartyFactory(main_manager=teammate, name="Theirs LLC")
    data = {
        "overdue": InteractionFactory(responsible=manager, counterparty=mine, subject="Overdue call", start=at(8)),
        "today": InteractionFactory(responsible=manager, counterparty=mine, subject="Today meeting", start=at(9, 15)),
        "tomorrow": InteractionFactory(responsible=manager, counterparty=mine, subject="Tomorrow call", start=at(10)),
        "held": InteractionFactory(responsible=manager, counterparty=mine, subject="Held call", start=at(9, 9),
                                   state=Interaction.State.DONE),
        "their_call": InteractionFactory(responsible=teammate, counterparty=theirs, subject="Their call", start=at(9)),
        "task": TaskFactory(assignee=manager, author=manager, counterparty=mine, title="Send offer",
                            deadline=at(9, 18)),
        "old_task": TaskFactory(assignee=manager, author=teammate, title="Old task", deadline=at(2)),
        "later_task": TaskFactory(assignee=manager, author=manager, title="Later task", deadline=at(12)),
        "their_task": TaskFactory(assignee=teammate, author=teammate, title="Their task", deadline=at(9, 8)),
        "reminder": ReminderFactory(user=manager, text="Call back Anna", remind_at=at(9, 16)),
        "old_reminder": ReminderFactory(user=manager, text="Yesterday note", remind_at=at(8, 16)),
        "their_reminder": ReminderFactory(user=teammate, text="Their note", remind_at=at(9, 16)),
    }
    sales_world(manager, mine, "M")
    sales_world(teammate, theirs, "T")
    open_stage = Stage.objects.filter(kind=Stage.Kind.OPEN).first()
    won = Stage.objects.filter(kind=Stage.Kind.WON).first()
    DealFactory(responsible=manager, counterparty=mine, title="Late deal", stage=open_stage,
                expected_close_date=date(2030, 1, 5), amount=Decimal("170000"))
    DealFactory(responsible=manager, counterparty=mine, title="Future deal", stage=open_stage,
                expected_close_date=date(2030, 2, 5))
    DealFactory(responsible=manager, counterparty=mine, title="Won deal", stage=won,
                expected_close_date=date(2030, 1, 5))
    DealFactory(responsible=teammate, counterparty=theirs, title="Their deal", stage=open_stage,
                expected_close_date=date(2030, 1, 5))
    ContactPersonFactory(counterparty=mine, last_name="Petrova", first_name="Anna", birthday=date(1980, 1, 10))
    ContactPersonFactory(counterparty=mine, last_name="Sidorov", birthday=date(1980, 3, 10))  # not soon
    ContactPersonFactory(counterparty=theirs, last_name="Kuznetsov", birthday=date(1980, 1, 9))
    return data


def test_each_section_shows_own_rows_due_today_or_overdue(client_for, manager, world):
    response = client_for(manager).get(URL)
    assert response.status_code == 200
    assert rows(response, "contacts") == ["Overdue call", "Today meeting"]
    assert rows(response, "tasks") == ["Old task", "Send offer"]
    assert rows(response, "reminders") == ["Call back Anna"]
    assert rows(response, "payments") == ["Payment due: 500.00 RUB, invoice M-INV, order M-1"]
    assert rows(response, "shipments") == ["Shipment: M pump × 1, order M-1"]
    assert rows(response, "deals") == ["Late deal"]
    assert rows(response, "birthdays") == ["Petrova Anna"]
    html = response.content.decode()
    for theirs in ("Their call", "Their task", "Their note", "Their deal", "T-INV", "T pump", "Kuznetsov"):
        assert theirs not in html


def test_teammate_sees_only_their_own(client_for, teammate, world):
    response = client_for(teammate).get(URL)
    assert rows(response, "contacts") == ["Their call"]
    assert rows(response, "tasks") == ["Their task"]
    assert rows(response, "deals") == ["Their deal"]
    assert rows(response, "birthdays") == ["Kuznetsov Иван"]
    html = response.content.decode()
    assert "Overdue call" not in html and "M-INV" not in html and "Petrova" not in html


def test_birthdays_follow_the_days_ahead_setting(client_for, manager, world, settings):
    settings.KLIENTURA_BIRTHDAY_DAYS_AHEAD = 0
    assert rows(client_for(manager).get(URL), "birthdays") == []


def test_buttons_only_on_active_rows(client_for, manager, world):
    html = client_for(manager).get(URL).content.decode()
    assert action(world["task"].pk, "tasks", "done") in html
    assert action(world["task"].pk, "tasks", "tomorrow") in html
    assert action(world["reminder"].pk, "reminders", "tomorrow") in html
    assert action(world["reminder"].pk, "reminders", "done") not in html  # reminders are not "done"


# --- Actions -------------------------------------------------------------------------------

def test_mark_a_task_done(client_for, manager, world):
    task = world["task"]
    response = client_for(manager).post(action(task.pk, "tasks", "done"), {"version": task.version})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<li") and 'data-testid="myday-outcome"' in html
    assert "myday-done" not in html  # no buttons any more
    task.refresh_from_db()
    assert task.state == Task.State.DONE and task.completed_at == NOW and task.version == 2


def test_mark_an_interaction_done(client_for, manager, world):
    call = world["overdue"]
    response = client_for(manager).post(action(call.pk, "contacts", "done"), {"version": call.version})
    assert response.status_code == 200
    call.refresh_from_db()
    assert call.state == Interaction.State.DONE


def test_reschedule_to_tomorrow_keeps_the_time(client_for, manager, world):
    call = world["overdue"]
    response = client_for(manager).post(action(call.pk, "contacts", "tomorrow"), {"version": call.version})
    assert response.status_code == 200
    assert "moved to tomorrow" in response.content.decode()
    call.refresh_from_db()
    assert timezone.localtime(call.start) == at(10, 10) and call.version == 2

    reminder = world["reminder"]
    client_for(manager).post(action(reminder.pk, "reminders", "tomorrow"), {"version": reminder.version})
    reminder.refresh_from_db()
    assert timezone.localtime(reminder.remind_at) == at(10, 16)


def test_a_stale_version_is_a_409_with_the_current_row(client_for, manager, world):
    task, call = world["task"], world["today"]
    Task.objects.filter(pk=task.pk).update(version=F("version") + 1)
    Interaction.objects.filter(pk=call.pk).update(version=F("version") + 1)
    c = client_for(manager)
    for pk, section, what in [(task.pk, "tasks", "done"), (task.pk, "tasks", "tomorrow"),
                              (call.pk, "contacts", "done"), (call.pk, "contacts", "tomorrow")]:
        response = c.post(action(pk, section, what), {"version": 1})
        assert response.status_code == 409, (section, what)
        assert 'data-testid="myday-message"' in response.content.decode()
        assert 'value="2"' in response.content.decode() or '"version": "2"' in response.content.decode()
    task.refresh_from_db()
    call.refresh_from_db()
    assert task.state == Task.State.OPEN and task.deadline == at(9, 18)
    assert call.state == Interaction.State.PLANNED and call.start == at(9, 15)


def test_done_twice_is_a_409(client_for, manager, world):
    task = world["task"]
    c = client_for(manager)
    assert c.post(action(task.pk, "tasks", "done"), {"version": 1}).status_code == 200
    assert c.post(action(task.pk, "tasks", "done"), {"version": 2}).status_code == 409


def test_a_teammates_row_is_a_404(client_for, manager, world):
    c = client_for(manager)
    for obj, section in [(world["their_task"], "tasks"), (world["their_call"], "contacts"),
                         (world["their_reminder"], "reminders")]:
        for what in ("done", "tomorrow"):
            if section == "reminders" and what == "done":
                continue
            assert c.post(action(obj.pk, section, what), {"version": obj.version}).status_code == 404
    their = world["their_task"]
    their.refresh_from_db()
    assert their.state == Task.State.OPEN and their.version == 1
    assert Reminder.objects.get(pk=world["their_reminder"].pk).remind_at == at(9, 16)


def test_read_only_role_cannot_act(client_for, quality, world):
    task = world["task"]
    assert client_for(quality).post(action(task.pk, "tasks", "done"), {"version": 1}).status_code == 404
    task.refresh_from_db()
    assert task.state == Task.State.OPEN


def test_bad_requests(client_for, manager, world):
    c = client_for(manager)
    task = world["task"]
    bad = c.post(action(task.pk, "tasks", "done"), {"version": "x"})
    assert bad.status_code == 400 and b"version" in bad.content
    assert c.post(action(task.pk, "tasks", "done"), {}).status_code == 400
    assert c.get(action(task.pk, "tasks", "done")).status_code == 405
    assert c.post(action(task.pk, "tasks", "explode"), {"version": 1}).status_code == 404
    assert c.post(action(task.pk, "nowhere", "done"), {"version": 1}).status_code == 404
    assert c.post(action(task.pk, "deals", "done"), {"version": 1}).status_code == 404  # no actions there
    assert c.post(action(task.pk, "reminders", "done"), {"version": 1}).status_code == 404
    assert c.post(action(10**12, "tasks", "done"), {"version": 1}).status_code == 404


def test_anonymous_is_sent_to_log_in(client):
    assert client.get(URL).status_code == 302
    assert client.post(action(1, "tasks", "done"), {"version": 1}).status_code == 302


# --- Landing ------------------------------------------------------------------------------

def test_sales_manager_lands_on_my_day(client_for, manager, world):
    response = client_for(manager).get("/")
    assert response.status_code == 200
    assert rows(response, "tasks") == ["Old task", "Send offer"]


@pytest.mark.parametrize("persona,target", [("head", "/dashboard/"), ("sales_head", "/dashboard/"),
                                            ("admin_user", "/dashboard/"), ("marketer", "/clients/")])
def test_others_keep_their_landing(request, client_for, persona, target):
    response = client_for(request.getfixturevalue(persona)).get("/")
    assert response.status_code == 302 and response.url.startswith(target)


def test_navigation_entry_in_activities(client_for, head):
    html = client_for(head).get("/dashboard/").content.decode()
    assert 'data-testid="nav-my-day"' in html and 'href="/my-day/"' in html


# --- Queries ------------------------------------------------------------------------------

def test_query_count_does_not_grow_with_the_data(client_for, manager, world, django_assert_max_num_queries):
    c = client_for(manager)
    c.get(URL)  # warm the session and caches
    # session, user; per section its rows, plus one access check per section with buttons
    with django_assert_max_num_queries(12) as small:
        c.get(URL)
    mine = CounterpartyFactory(main_manager=manager)
    for i in range(8):
        InteractionFactory(responsible=manager, counterparty=mine, start=at(8, 8 + i))
        TaskFactory(assignee=manager, author=manager, counterparty=mine, deadline=at(7, 8 + i))
        ReminderFactory(user=manager, counterparty=mine, remind_at=at(9, 8 + i))
        sales_world(manager, mine, f"X{i}")
        DealFactory(responsible=manager, counterparty=mine, expected_close_date=date(2030, 1, 1 + i))
        ContactPersonFactory(counterparty=mine, birthday=date(1970 + i, 1, 11))
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = c.get(URL)
    assert len(rows(response, "tasks")) == 10


def test_sections_registry_shape():
    keys = myday.sections.keys()
    assert keys == ["contacts", "tasks", "reminders", "payments", "shipments", "deals", "birthdays"]
    assert all(isinstance(s, myday.MyDaySection) for s in myday.sections)
