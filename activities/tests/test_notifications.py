"""The bell (own notifications only, unread count, mark read) and task notices."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from activities.models import Notification, OutgoingEmail, Task
from activities.services.notifications import check_overdue_tasks, notify, notify_task_assigned
from clients.tests.factories import CounterpartyFactory

from .background import make_task

pytest_plugins = ["core.tests.browser"]
pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 3, 11, 7, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)


def note(user, text, **kw):
    return Notification.objects.create(user=user, text=text, **kw)


def test_bell_is_in_the_navbar_and_polls(manager, client_for):
    page = client_for(manager).get(reverse("home"), follow=True).text
    assert 'data-testid="notification-bell"' in page
    assert f'hx-get="{reverse("activities:notification_badge")}" hx-trigger="load, every 30s"' in page


def test_badge_counts_only_own_unread(manager, teammate, client_for):
    note(manager, "Моё 1")
    note(manager, "Моё 2")
    note(manager, "Прочитано", read_at=NOW)
    note(teammate, "Чужое")
    resp = client_for(manager).get(reverse("activities:notification_badge"))
    assert resp.status_code == 200 and 'data-testid="unread-count">2<' in resp.text
    Notification.objects.filter(user=manager).update(read_at=NOW)
    assert "unread-count" not in client_for(manager).get(reverse("activities:notification_badge")).text


def test_badge_after_logout_stops_polling(client):
    assert client.get(reverse("activities:notification_badge")).status_code == 286


def test_list_and_dropdown_show_only_own(manager, teammate, client_for):
    note(manager, "Позвонить Петрову", url="/clients/1/")
    note(teammate, "Секрет коллеги")
    c = client_for(manager)
    for name in ("activities:notification_list", "activities:notification_dropdown"):
        page = c.get(reverse(name)).text
        assert "Позвонить Петрову" in page and "Секрет коллеги" not in page


def test_mark_read_single_follows_link_and_all(manager, teammate, client_for):
    mine = note(manager, "Открой меня", url="/activities/task/")
    other = note(manager, "Второе")
    theirs = note(teammate, "Чужое")
    c = client_for(manager)
    resp = c.post(reverse("activities:notification_read", args=[mine.pk]), {"open": "1"})
    assert resp.status_code == 302 and resp.url == "/activities/task/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    # Another user's notification: 404, untouched.
    assert c.post(reverse("activities:notification_read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    # GET does not change anything.
    assert c.get(reverse("activities:notification_read", args=[other.pk])).status_code == 405
    assert c.post(reverse("activities:notification_read_all")).status_code == 302
    assert not Notification.objects.filter(user=manager, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_mark_read_refuses_foreign_redirect(manager, client_for):
    evil = note(manager, "x", url="https://evil.example.com/")
    resp = client_for(manager).post(reverse("activities:notification_read", args=[evil.pk]), {"open": "1"})
    assert resp.url == reverse("activities:notification_list")


def test_notify_is_once_per_source(manager):
    assert notify(manager, "Раз", source="test:1", email_subject="Тема") is not None
    assert notify(manager, "Два", source="test:1", email_subject="Тема") is None
    assert Notification.objects.count() == 1 and OutgoingEmail.objects.count() == 1


# --- Tasks --------------------------------------------------------------------------------


def test_overdue_task_notified_once_to_assignee_and_author(manager, sales_head):
    cp = CounterpartyFactory(main_manager=manager, name="ООО Ромашка")
    with time_machine.travel(NOW, tick=False):
        task = make_task(sales_head, manager, title="Отправить КП", deadline=NOW + HOUR, counterparty=cp)
        done = make_task(sales_head, manager, deadline=NOW - HOUR, state=Task.State.DONE)
        assert check_overdue_tasks() == 0  # not yet due
    with time_machine.travel(NOW + 2 * HOUR, tick=False):
        assert check_overdue_tasks() == 1
        assert check_overdue_tasks() == 0  # once
    notes = {n.user: n for n in Notification.objects.all()}
    assert set(notes) == {manager, sales_head}
    assert all("Отправить КП" in n.text and "ООО Ромашка" in n.text for n in notes.values())
    assert {e.to for e in OutgoingEmail.objects.all()} == {manager.email, sales_head.email}
    task.refresh_from_db()
    assert task.overdue_notified_at == NOW + 2 * HOUR
    done.refresh_from_db()
    assert done.overdue_notified_at is None


def test_overdue_again_after_the_deadline_is_moved(manager):
    with time_machine.travel(NOW, tick=False):
        task = make_task(manager, manager, deadline=NOW - HOUR)
        assert check_overdue_tasks() == 1
        assert Notification.objects.count() == 1  # author = assignee: one notice
        task.refresh_from_db()
        task.deadline = NOW + HOUR
        task.save()
        assert check_overdue_tasks() == 0
    with time_machine.travel(NOW + 2 * HOUR, tick=False):
        assert check_overdue_tasks() == 1
    assert Notification.objects.count() == 2


def test_overdue_notice_hides_a_client_the_user_cannot_see(manager, teammate):
    cp = CounterpartyFactory(main_manager=teammate, name="ООО Чужая")
    with time_machine.travel(NOW, tick=False):
        make_task(teammate, manager, title="Сверка", deadline=NOW - HOUR, counterparty=cp)
        check_overdue_tasks()
    texts = {n.user: n.text for n in Notification.objects.all()}
    assert "ООО Чужая" in texts[teammate]
    assert "ООО Чужая" not in texts[manager] and "Сверка" in texts[manager]


def test_overdue_of_deleted_client_task_not_notified(manager):
    cp = CounterpartyFactory(main_manager=manager)
    with time_machine.travel(NOW, tick=False):
        make_task(manager, manager, deadline=NOW - HOUR, counterparty=cp)
        cp.delete()
        assert check_overdue_tasks() == 0


def test_task_assigned_notice(manager, sales_head):
    task = make_task(sales_head, manager, title="Позвонить в банк")
    assert notify_task_assigned(task) is not None
    assert notify_task_assigned(task) is None  # the same assignment: once
    n = Notification.objects.get()
    assert n.user == manager and "Позвонить в банк" in n.text and str(sales_head) in n.text
    assert OutgoingEmail.objects.get().to == manager.email
    own = make_task(manager, manager)
    assert notify_task_assigned(own) is None  # assigned to oneself: no notice
    assert notify_task_assigned(task, by=manager) is None


def test_task_assigned_through_the_form_notifies(manager, sales_head, client_for):
    """The lead's task form calls notify_task_assigned(); check it lands in the bell."""
    c = client_for(sales_head)
    form = c.get(reverse("activities:task_add")).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(title="Подготовить договор", assignee=manager.pk, importance="normal", state="open",
                deadline="2030-01-01T10:00")
    resp = c.post(reverse("activities:task_add"), data)
    assert resp.status_code == 302, resp.context["form"].errors if resp.context else resp
    badge = client_for(manager).get(reverse("activities:notification_badge")).text
    assert 'data-testid="unread-count">1<' in badge


# --- In a real browser --------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_bell_in_browser(page, console, log_in, manager, teammate):
    from playwright.sync_api import expect

    cp = CounterpartyFactory(main_manager=manager, name="ООО Ромашка")
    note(manager, "Позвонить в Ромашку", url=cp.get_absolute_url())
    note(manager, "Второе")
    note(teammate, "Чужое уведомление")
    log_in(manager.username)
    page.goto("/clients/")
    badge = page.locator("#notification-badge").get_by_test_id("unread-count")
    expect(badge).to_be_visible()
    expect(badge).to_have_text("2 unread")  # loaded by htmx right after the page
    page.get_by_test_id("notification-bell").locator("[data-bs-toggle=dropdown]").click()
    items = page.get_by_test_id("notification")
    expect(items).to_have_count(2)
    expect(page.get_by_test_id("notification-items")).not_to_contain_text("Чужое")
    items.filter(has_text="Позвонить в Ромашку").click()
    page.wait_for_url(f"**{cp.get_absolute_url()}")
    expect(badge).to_have_text("1 unread")
    # A new notification appears without reloading: the badge polls every 30 s.
    note(manager, "Третье")
    page.clock.install()
    page.reload()
    expect(badge).to_have_text("2 unread")
    note(manager, "Четвёртое")
    page.clock.run_for(31_000)
    expect(badge).to_have_text("3 unread")
    assert [line for line in console if "Content Security Policy" in line or line.startswith("pageerror")] == []
