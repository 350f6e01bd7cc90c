"""Browser: plan a meeting from the client card, see it in the calendar, get a reminder in the bell."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activities.models import Interaction, Reminder
from activities.services.reminders import deliver_due_reminders
from clients.tests.factories import CounterpartyFactory

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_plan_meeting_see_it_in_calendar_and_get_the_reminder(page, console, log_in, manager):
    client = CounterpartyFactory(main_manager=manager, name="Холодильник-Сервис")
    day = timezone.localdate() + datetime.timedelta(days=1)
    log_in(manager.username)

    page.goto(client.get_absolute_url())
    page.get_by_test_id("interactions-tab").click()
    page.get_by_test_id("plan-meeting").click()
    page.fill("#id_subject", "Презентация витрин")
    page.fill("#id_start", f"{day.isoformat()}T11:30")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(lambda url: "tab=interactions" in url)
    expect(page.get_by_test_id("interaction-rows").first).to_contain_text("Презентация витрин")
    meeting = Interaction.objects.get()
    assert meeting.type.code == "meeting" and meeting.responsible == manager

    page.goto(f"/activities/calendar/?view=week&date={day.isoformat()}")
    expect(page.get_by_test_id(f"day-{day.isoformat()}")).to_contain_text("Презентация витрин")

    page.goto(client.get_absolute_url() + "?tab=interactions")
    page.get_by_test_id("create-reminder").click()
    page.fill("#id_text", "Подготовить образцы")
    due = timezone.localtime() - datetime.timedelta(minutes=1)
    page.fill("#id_remind_at", due.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(lambda url: "tab=interactions" in url)
    assert Reminder.objects.get().user == manager

    deliver_due_reminders()  # what the background worker does
    page.reload()
    expect(page.get_by_test_id("unread-count")).to_contain_text("1")
    page.get_by_test_id("notification-bell").locator("a").first.click()
    expect(page.locator("#notification-menu")).to_contain_text("Подготовить образцы")
    assert not [line for line in console if "Content Security Policy" in line or line.startswith("pageerror")]
