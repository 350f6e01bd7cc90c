"""Demo activities: idempotent, deterministic, valid, and a calendar that looks alive today."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from activities import demo
from activities.models import Interaction, Reminder, Task
from core.tests.demo import NOW, load, load_once

MANAGERS = ["manager1", "manager2", "manager3"]  # the clients' demo managers (no sibling demo import)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_company(django_db_setup, django_db_blocker):
    """The whole demo (clients included), loaded once for the module, and its statement count."""
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(many)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        loading = load_once(django_db_blocker, now=NOW)
        output = next(loading)
    yield output, len(statements)
    next(loading, None)


@pytest.fixture
def loaded(demo_company, db):
    return demo_company


def counts():
    return {
        "interactions": Interaction.all_objects.count(), "tasks": Task.all_objects.count(),
        "reminders": Reminder.all_objects.count(),
        "persons": Interaction.contact_persons.through.objects.count(),
        "history": Interaction.history.count() + Task.history.count() + Reminder.history.count(),
    }


def user(username):
    return get_user_model().objects.get(username=username)


def test_load_twice_adds_nothing(loaded, settings):
    output, statements = loaded
    assert "Demo activities:" in output
    first = counts()
    assert 900 <= first["interactions"] <= 3000
    assert 60 <= first["tasks"] <= 150
    assert 20 <= first["reminders"] <= 60
    assert first["persons"] > first["interactions"] // 2
    assert first["history"] == first["interactions"] + first["tasks"] + first["reminders"]
    # The whole demo, clients included, in bulk inserts, not row by row (a speed guard without a clock):
    # ~1 600 statements for the activities' ~4 000 rows and the other apps' bulk demos, plus ~1 650 of
    # the service and knowledge demos, which save their few hundred rows through their models
    # (numbering, deadlines, sanitising, history).
    rows = sum(first[k] for k in ("interactions", "tasks", "reminders", "persons", "history"))
    assert statements < rows, (statements, rows)
    settings.DEMO_MODE = True
    assert "already loaded" in load(NOW + dt.timedelta(days=1))
    assert counts() == first


def test_calendar_of_each_manager_looks_alive(loaded):
    now = NOW
    today = timezone.localdate(now)
    for username in MANAGERS:
        manager = user(username)
        planned = Interaction.objects.filter(responsible=manager, state="planned")
        starts = [timezone.localtime(s) for s in planned.values_list("start", flat=True)]
        assert sum(s < now for s in starts) >= 3, username  # overdue
        assert sum(s.date() == today for s in starts) >= 3, username  # today
        assert sum(s.date() > today for s in starts) >= 10, username  # coming weeks
        assert max(starts) <= now + dt.timedelta(days=demo.DAYS_AHEAD + 3)
        past = Interaction.objects.filter(responsible=manager, start__lt=now)
        assert past.filter(state="done").count() > 100
        assert past.filter(state="cancelled").exists()
        assert past.order_by("start").first().start < now - dt.timedelta(days=300)  # a year back
        assert not Interaction.objects.filter(responsible=manager, state__in=["done", "cancelled"],
                                              start__gt=now).exists()

        tasks = Task.objects.filter(assignee=manager, state="open")
        deadlines = [timezone.localtime(d) for d in tasks.values_list("deadline", flat=True)]
        assert sum(d < now for d in deadlines) >= 3  # overdue
        assert sum(d.date() == today for d in deadlines) >= 1
        assert sum(d.date() > today for d in deadlines) >= 3
        assert Task.objects.filter(assignee=manager, state="done", completed_at__isnull=False).count() >= 8
        assert Task.objects.filter(assignee=manager, author=user("head")).exists()

        reminders = Reminder.objects.filter(user=manager)
        assert reminders.filter(delivered_at__isnull=True, remind_at__lte=now).exists()  # missed
        assert reminders.filter(delivered_at__isnull=True, remind_at__gt=now,
                                remind_at__lte=now + dt.timedelta(hours=2)).exists()  # due soon
        assert reminders.filter(delivered_at__isnull=False).exists()
        assert reminders.filter(kind="interaction", interaction__start__date=today).exists()


def test_rows_are_valid_and_respect_access(loaded):
    interactions = Interaction.objects.select_related("counterparty").prefetch_related("contact_persons")
    for obj in interactions.order_by("pk")[::25]:
        obj.full_clean()
        assert all(p.counterparty_id == obj.counterparty_id for p in obj.contact_persons.all())
    for obj in Task.objects.order_by("pk")[::5]:
        obj.full_clean()
    for obj in Reminder.objects.order_by("pk"):
        obj.full_clean()
        if obj.interaction_id:
            assert obj.interaction.counterparty_id == obj.counterparty_id
    # A manager's activities are about their own clients, so each sees all of theirs.
    for username in MANAGERS:
        manager = user(username)
        mine = Interaction.objects.filter(responsible=manager)
        assert mine.exclude(counterparty__main_manager=manager).count() == 0
        assert set(Interaction.objects.restrict(manager).filter(responsible=manager)) == set(mine)
        assert Reminder.objects.filter(user=manager).exclude(counterparty__main_manager=manager).count() == 0
        assert Task.objects.filter(assignee=manager, counterparty__isnull=False).exclude(
            counterparty__main_manager=manager).count() == 0
    # The History tab names who logged each row.
    # (rows of this demo: later loaders, telephony and mail, log theirs through their own services)
    record = Interaction.history.filter(responsible=user("manager1"), history_change_reason=demo.REASON).first()
    assert record.history_user == user("manager1")
    assert record.history_change_reason == demo.REASON


def test_deterministic_for_a_day(loaded):
    """The same day gives the same rows (seeded random over clients in a fixed order)."""
    def build():
        from activities.models import InteractionType
        from clients.models import Counterparty

        users = {u.username: u for u in get_user_model().objects.all()}
        builder = demo.Builder(users, {t.code: t for t in InteractionType.objects.all()}, NOW)
        clients = list(Counterparty.objects.filter(main_manager=users["manager1"]).order_by("tax_id"))
        builder.manager_year(users["manager1"], clients, {})
        return [(i.counterparty_id, i.start, i.subject, i.state) for i in builder.interactions]

    first = build()
    assert first == build()
    assert len(first) > 100
