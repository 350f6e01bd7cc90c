"""Notifications and reminder texts are written in the recipient's language (issue 9, item 8),
which the user sets by switching the interface language."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from activities.models import Notification, Task
from activities.services import notifications, reminders
from core.tests.factories import UserFactory

from .factories import TaskFactory

pytestmark = pytest.mark.django_db


def _assigned_text(language):
    author = UserFactory(language="en")
    assignee = UserFactory(language=language)
    task = TaskFactory(author=author, assignee=assignee, title="Offer")
    with translation.override("en"):  # the author works in English
        notifications.notify_task_assigned(task)
    return Notification.objects.get(user=assignee).text


def test_romanian_user_gets_romanian_notification():
    assert _assigned_text("ro").startswith("Sarcină nouă de la")


def test_russian_user_gets_russian_notification():
    assert _assigned_text("ru").startswith("Новое задание от")


def test_user_without_a_choice_gets_the_site_language(settings):
    settings.LANGUAGE_CODE = "ro"
    assert _assigned_text("").startswith("Sarcină nouă de la")


def test_withheld_reminder_text_in_recipient_language():
    from activities.tests.factories import ReminderFactory
    from clients.tests.factories import CounterpartyFactory

    user = UserFactory(language="ro", role="sales_manager")
    reminder = ReminderFactory(user=user, counterparty=CounterpartyFactory(main_manager=UserFactory()),
                               remind_at=timezone.now() - timedelta(minutes=1))
    with translation.override("ru"):
        assert reminders.deliver(reminder.pk)
    assert Notification.objects.get(user=user).text.startswith("Memento pentru")


def test_overdue_notice_names_the_assignee():
    author = UserFactory(first_name="Ana", last_name="Pop")
    assignee = UserFactory(first_name="Ion", last_name="Rusu")
    task = TaskFactory(author=author, assignee=assignee, title="Offer",
                       deadline=timezone.now() - timedelta(hours=1))
    assert notifications.check_overdue_tasks() == 1
    for user in (author, assignee):
        assert "Ion Rusu" in Notification.objects.get(user=user).text
    assert Task.objects.get(pk=task.pk).overdue_notified_at


def test_switching_language_remembers_it(client, manager):
    client.force_login(manager)
    response = client.post(reverse("set_language"), {"language": "ro", "next": "/"})
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.language == "ro"
    assert response.cookies["django_language"].value == "ro"


def test_switching_to_an_unknown_language_keeps_the_choice(client, manager):
    manager.language = "ru"
    manager.save(update_fields=["language"])
    client.force_login(manager)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    manager.refresh_from_db()
    assert manager.language == "ru"


def test_anonymous_switch_still_works(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
