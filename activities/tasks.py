"""Background tasks run by ``manage.py db_worker``; ``manage.py scheduler`` enqueues the periodic ones.

The tasks keep no state of their own: what was delivered or sent is recorded in the business
tables with conditional updates, so a task that runs twice, or is killed half-way and run again
by the next scheduler loop, neither loses nor repeats anything.
"""

from django.db import transaction
from django_tasks import task

from core import scheduling
from core.scheduling import enqueue_once

from .services import email, notifications, reminders


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


scheduling.register(deliver_reminders, order=10)
scheduling.register(check_overdue, order=20)
scheduling.register(birthdays, order=30)
scheduling.register(send_emails, key=scheduling.EMAIL_QUEUE, order=40)


def send_after_commit(email_id):
    """Queue the send once the transaction that created the message has committed."""
    transaction.on_commit(lambda: send_email.enqueue(email_id))
