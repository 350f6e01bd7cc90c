"""My day in a real browser: a sales manager opens /, marks a task done, the row updates in place."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activities.models import Task
from activities.tests.factories import TaskFactory

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_mark_a_task_done_from_my_day(page, console, log_in, manager):
    task = TaskFactory(assignee=manager, author=manager, title="Send the offer",
                       deadline=timezone.now() - timedelta(hours=1))
    later = TaskFactory(assignee=manager, author=manager, title="Call the bank",
                        deadline=timezone.now() - timedelta(hours=2))

    log_in(manager.username)
    page.goto("/")
    row = page.locator(f'[data-row="tasks-{task.pk}"]')
    expect(row).to_contain_text("Send the offer")
    expect(row).to_contain_text("overdue")
    row.get_by_test_id("myday-done").click()

    row = page.locator(f'[data-row="tasks-{task.pk}"]')
    expect(row.get_by_test_id("myday-outcome")).to_have_text("done")
    expect(row.get_by_test_id("myday-done")).to_have_count(0)
    expect(page.locator(f'[data-row="tasks-{later.pk}"]').get_by_test_id("myday-done")).to_be_visible()
    task.refresh_from_db()
    assert task.state == Task.State.DONE

    # Someone else moves the other task meanwhile: "tomorrow" is refused with a message in the row.
    Task.objects.filter(pk=later.pk).update(version=later.version + 1)
    other = page.locator(f'[data-row="tasks-{later.pk}"]')
    other.get_by_test_id("myday-tomorrow").click()
    expect(page.locator(f'[data-row="tasks-{later.pk}"]').get_by_test_id("myday-message")).to_be_visible()
    later.refresh_from_db()
    assert later.deadline < timezone.now()
    assert not [line for line in console if line.startswith("pageerror") or "Content Security Policy" in line]
