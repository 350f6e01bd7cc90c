"""Background tasks of the sales app, run by ``manage.py db_worker``; the payment reminders are
registered for ``manage.py scheduler``."""

from django_tasks import task

from core import scheduling

from .services import orders, rules


@task()
def run_stage_rules(change_id):
    return [t.pk for t in rules.apply_stage_rules(change_id)]


@task()
def payment_reminders():
    """"Call about payment" tasks three working days before invoices' due dates."""
    created = orders.create_payment_reminders()
    if created:
        scheduling.run_soon(scheduling.EMAIL_QUEUE)  # the email copies of the notices go out now
    return [t.pk for t in created]


def payment_reminders_due(now=None):
    """Whether invoices wait for a reminder (one indexed query), so an idle scheduler loop adds
    nothing to the queue."""
    return orders.reminders_due(now).exists()


scheduling.register(payment_reminders, due=payment_reminders_due, order=50)
