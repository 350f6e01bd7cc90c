"""The scheduler enqueues the periodic tasks the apps registered; the database worker runs them."""

import datetime
import signal
import time

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from activities import tasks
from activities.models import Notification, OutgoingEmail, Reminder
from activities.tests.background import ProcessDB, make_reminder, make_task, run_worker
from clients.tests.factories import ContactPersonFactory, CounterpartyFactory
from core import registry, scheduling
from core.management.commands.scheduler import Command

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 3, 11, 7, 0, tzinfo=datetime.UTC)  # 10:00 in Moscow
# 10:00 in Moscow: the night's client analysis is due too (none has run today).
PERIODIC = {"deliver_reminders", "check_overdue", "birthdays", "send_emails", "nightly_analysis",
            "service_end_reminders", "scan_duplicates"}


def queued_names():
    return sorted(p.rsplit(".", 1)[1] for p in DBTaskResult.objects.ready().values_list("task_path", flat=True))


@time_machine.travel(NOW, tick=False)
def test_scheduler_once_enqueues_and_worker_delivers_everything(manager, sales_head, capsys):
    cp = CounterpartyFactory(main_manager=manager)
    make_reminder(manager, remind_at=NOW - datetime.timedelta(hours=1), text="Позвонить")
    make_task(sales_head, manager, title="Просроченная", deadline=NOW - datetime.timedelta(minutes=5))
    ContactPersonFactory(counterparty=cp, last_name="Именинников", birthday=datetime.date(1980, 3, 12))
    call_command("scheduler", "--once")
    assert queued_names() == sorted(PERIODIC)
    call_command("scheduler", "--once")
    assert queued_names() == sorted(PERIODIC)  # already waiting: not enqueued twice
    assert "Enqueued: nothing" in capsys.readouterr().out
    run_worker()
    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() >= 5
    assert not DBTaskResult.objects.ready().exists()
    texts = set(Notification.objects.filter(user=manager).values_list("text", flat=True))
    assert "Позвонить" in texts and any("Просроченная" in t for t in texts)
    assert Reminder.objects.filter(kind="birthday", contact_person__last_name="Именинников").count() == 1
    assert OutgoingEmail.objects.filter(state="sent").count() == 3  # reminder + overdue to two people
    assert len(mail.outbox) == 3
    # The next loop delivers the birthday reminder created today for 09:00 (already past).
    call_command("scheduler", "--once")
    run_worker()
    assert Notification.objects.filter(user=manager, text__contains="Именинников").count() == 1
    assert len(mail.outbox) == 4


def test_apps_register_their_periodic_tasks():
    assert [item.name for item in registry.periodic_tasks] == [
        "deliver_reminders", "check_overdue", "birthdays", "send_emails", "send_sms_queue", "payment_reminders",
        "nightly_analysis", "resume_mailings", "poll_mailboxes", "complaint_overdue_notices", "service_end_reminders",
        "run_survey_rules", "send_webhooks", "scan_duplicates"]
    assert registry.periodic_tasks[scheduling.EMAIL_QUEUE].task is tasks.send_emails
    assert registry.periodic_tasks["sales.tasks.payment_reminders"].due is not None


def test_due_and_every_hold_a_task_back(monkeypatch):
    calls = []
    monkeypatch.setattr(registry.periodic_tasks, "_items", {})
    scheduling.register(tasks.birthdays, due=lambda: calls.append(1) or len(calls) > 1)
    scheduling.register(tasks.send_emails, every=datetime.timedelta(hours=1))
    scheduler = Command()  # one running scheduler, two loops: it remembers when it last enqueued
    scheduler.last_enqueued = {}
    assert scheduler.tick() == ["send_emails"]  # birthdays not due yet
    DBTaskResult.objects.all().delete()
    assert scheduler.tick() == ["birthdays"]  # send_emails: an hour has not passed


def test_run_soon_enqueues_a_registered_task_once():
    assert scheduling.run_soon(scheduling.EMAIL_QUEUE) is not None
    assert scheduling.run_soon(scheduling.EMAIL_QUEUE) is None
    assert scheduling.run_soon("no.such.task") is None
    assert queued_names() == ["send_emails"]


def test_task_functions_run_directly(manager):
    make_reminder(manager, remind_at=timezone.now() - datetime.timedelta(minutes=1))
    assert tasks.deliver_reminders.call() == 1
    assert tasks.send_emails.call() == 1
    assert tasks.check_overdue.call() == 0
    assert tasks.birthdays.call() == 0
    assert len(mail.outbox) == 1


def test_send_email_task_sends_one(manager):
    from activities.services.email import queue_email

    msg = queue_email("client@example.com", "Тема", "Текст", created_by=manager)
    tasks.send_email.enqueue(msg.pk)
    run_worker()
    msg.refresh_from_db()
    assert msg.state == "sent" and [m.to for m in mail.outbox] == [["client@example.com"]]


def test_scheduler_prunes_old_results(manager):
    call_command("scheduler", "--once")
    run_worker()
    DBTaskResult.objects.update(finished_at=timezone.now() - datetime.timedelta(days=2))
    call_command("scheduler", "--once")
    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == 0
    # The night's analysis and the day's duplicate scan ran in the first loop: not queued again.
    assert queued_names() == sorted(PERIODIC - {"nightly_analysis", "scan_duplicates"})


# --- Real processes -----------------------------------------------------------------------

SETUP = """
import datetime
from django.utils import timezone
from core.models import User
from activities.models import Reminder
u = User.objects.create(username="m", email="m@example.com", role="sales_manager")
Reminder.objects.create(user=u, remind_at=timezone.now() - datetime.timedelta(minutes=1), text="Позвонить")
from analytics.models import AnalysisSettings
AnalysisSettings.objects.create(nightly=False)  # the six checks only, whatever the hour
"""


def test_scheduler_and_db_worker_processes(tmp_path):
    db = ProcessDB(tmp_path)
    db.shell(SETUP)
    scheduler = db.start_manage("scheduler", "--interval", "0.2")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and db.query(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult")[0][0] < 6:
            time.sleep(0.1)
        time.sleep(0.5)  # a few more loops: still one of each while no worker runs
        assert db.query("SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'READY'") == [(6,)]
    finally:
        scheduler.send_signal(signal.SIGTERM)
        scheduler.communicate(timeout=30)
    assert scheduler.returncode == 0
    worker = db.manage("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0")
    assert worker.returncode == 0, worker.stderr
    assert db.query("SELECT text FROM activities_notification") == [("Позвонить",)]
    assert db.query("SELECT state FROM activities_outgoingemail") == [("sent",)]
    assert db.query("SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status != 'SUCCESSFUL'") == [(0,)]
