"""Background tasks run by ``manage.py db_worker``; ``manage.py scheduler`` enqueues the periodic ones.

The tasks keep no state of their own: what was delivered or sent is recorded in the business
tables with conditional updates, so a task that runs twice, or is killed half-way and run again
by the next scheduler loop, neither loses nor repeats anything.
"""

from django.db import transaction
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from .services import email, notifications, reminders


def enqueue_once(periodic_task, *args):
    """Enqueue unless the same task already waits in the queue (e.g. the worker is down): a
    stopped worker must not come back to thousands of identical jobs."""
    waiting = DBTaskResult.objects.ready().filter(task_path=periodic_task.module_path)
    if waiting.exists():
        return None
    return periodic_task.enqueue(*args)


@task()
def deliver_reminders():
    delivered = reminders.deliver_due_reminders()
    if delivered:
        enqueue_once(send_emails)  # their email copies go out now, not at the next loop
    return delivered


@task()
def send_emails():
    return email.send_queued_emails()


@task()
def send_email(email_id):
    """Send one message right away (the compose flow); the periodic pass retries failures."""
    return email.send_email_now(email_id)


@task()
def check_overdue():
    notified = notifications.check_overdue_tasks()
    if notified:
        enqueue_once(send_emails)
    return notified


@task()
def birthdays():
    return reminders.create_birthday_reminders()


PERIODIC = (deliver_reminders, check_overdue, birthdays, send_emails)


def send_after_commit(email_id):
    """Queue the send once the transaction that created the message has committed."""
    transaction.on_commit(lambda: send_email.enqueue(email_id))
