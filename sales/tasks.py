"""Background tasks of the sales app, run by ``manage.py db_worker``."""

from django_tasks import task

from .services import orders, rules


@task()
def run_stage_rules(change_id):
    return [t.pk for t in rules.apply_stage_rules(change_id)]


@task()
def payment_reminders():
    """"Call about payment" tasks three working days before invoices' due dates."""
    from activities.tasks import enqueue_once, send_emails

    created = orders.create_payment_reminders()
    if created:
        enqueue_once(send_emails)  # the email copies of the notices go out now
    return [t.pk for t in created]


def periodic_due(now=None):
    """The sales tasks ``manage.py scheduler`` should enqueue now: only those with work waiting
    (one indexed query), so an idle scheduler loop adds nothing to the queue."""
    return [payment_reminders] if orders.reminders_due(now).exists() else []
