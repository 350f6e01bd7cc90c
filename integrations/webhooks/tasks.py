"""The worker's part: send the due webhook deliveries. Woken after each event's transaction
commits; the scheduler enqueues it while retries are due (``sender.has_due``)."""

from django_tasks import task

from core import scheduling

from . import sender

KEY = "webhooks"


@task()
def send_webhooks():
    """Every due delivery: new ones, retries after their backoff, those of workers that died."""
    return sender.send_due()


def send_soon():
    """Enqueue the sender now, unless one already waits in the queue (it will take the new rows)."""
    scheduling.enqueue_once(send_webhooks)


scheduling.register(send_webhooks, key=KEY, due=sender.has_due, order=70)
