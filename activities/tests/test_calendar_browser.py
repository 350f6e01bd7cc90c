"""The calendar in a real browser: drag a meeting to another day; a stale drag is refused."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from activities.models import Task
from activities.tests.factories import InteractionFactory, TaskFactory

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MSK = ZoneInfo("Europe/Moscow")
WEEK = "/activities/calendar/?view=week&date=2030-01-09"  # 6–12 January 2030 (English: Sunday first)


def drag(page, item, target):
    """Press, move in steps and release: SortableJS (fallback mode) follows real mouse moves."""
    box, goal = item.bounding_box(), target.bounding_box()
    page.mouse.move(box["x"] + 10, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2 + 5, steps=5)
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + 20, steps=20)
    page.mouse.up()


def problems(console):
    return [line for line in console if "Content Security Policy" in line or line.startswith("pageerror")]


def test_drag_an_event_to_another_day(page, console, log_in, manager):
    meeting = InteractionFactory(responsible=manager, subject="Presentation",
                                 start=datetime(2030, 1, 8, 10, 30, tzinfo=MSK))
    task = TaskFactory(assignee=manager, author=manager, title="Send the offer",
                       deadline=datetime(2030, 1, 8, 15, 0, tzinfo=MSK))

    log_in(manager.username)
    page.goto(WEEK)
    tuesday, thursday = page.get_by_test_id("day-2030-01-08"), page.get_by_test_id("day-2030-01-10")
    chip = tuesday.locator(f'[data-key="interaction-{meeting.pk}"]')
    expect(chip).to_contain_text("Presentation")
    expect(chip).to_have_attribute("data-status", "later")

    drag(page, chip, thursday)
    expect(page.get_by_test_id("calendar-alert")).to_contain_text("moved to")
    expect(thursday.locator(f'[data-key="interaction-{meeting.pk}"]')).to_have_attribute("data-version", "2")
    expect(tuesday.locator(f'[data-key="interaction-{meeting.pk}"]')).to_have_count(0)
    meeting.refresh_from_db()
    assert timezone.localtime(meeting.start) == datetime(2030, 1, 10, 10, 30, tzinfo=MSK)

    # Still there after a reload: the server moved it.
    page.reload()
    expect(page.get_by_test_id("day-2030-01-10").locator(f'[data-key="interaction-{meeting.pk}"]')).to_be_visible()

    # Someone else changes the task meanwhile: the drag is refused and the task stays put.
    Task.objects.filter(pk=task.pk).update(version=F("version") + 1)
    tuesday = page.get_by_test_id("day-2030-01-08")
    drag(page, tuesday.locator(f'[data-key="task-{task.pk}"]'), page.get_by_test_id("day-2030-01-11"))
    expect(page.get_by_test_id("calendar-alert")).to_contain_text("Someone else has changed this event")
    expect(tuesday.locator(f'[data-key="task-{task.pk}"]')).to_be_visible()
    expect(page.get_by_test_id("day-2030-01-11").locator(f'[data-key="task-{task.pk}"]')).to_have_count(0)
    task.refresh_from_db()
    assert timezone.localtime(task.deadline) == datetime(2030, 1, 8, 15, 0, tzinfo=MSK)

    # Clicking an event opens it.
    page.get_by_test_id("day-2030-01-10").get_by_role("link", name="Presentation").click()
    page.wait_for_url(f"**{meeting.get_absolute_url()}")
    assert problems(console) == []
