"""The worker reads the mailboxes every few minutes (``manage.py scheduler`` enqueues it)."""

import datetime

from django_tasks import task

from core import scheduling

from . import services

EVERY = datetime.timedelta(minutes=2)


@task()
def poll_mailboxes():
    return services.poll_all()


def register():
    scheduling.register(poll_mailboxes, key="integrations.mail", every=EVERY, order=60)
