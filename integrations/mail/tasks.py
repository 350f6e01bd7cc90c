"""The worker reads the mailboxes every few minutes (``manage.py scheduler`` enqueues it)."""

import datetime

from django_tasks import task

from core import scheduling

from . import services

EVERY = datetime.timedelta(minutes=2)


@task()
def poll_mailboxes():
    return services.poll_all()


def has_mailboxes():
    from ..models import Mailbox

    return Mailbox.objects.filter(active=True).exists()


def register():
    # Not enqueued at all while no mailbox is active (most installations at first).
    scheduling.register(poll_mailboxes, key="integrations.mail", due=has_mailboxes, every=EVERY, order=60)
