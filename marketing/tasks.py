"""Background tasks of marketing run by ``manage.py db_worker``; ``manage.py scheduler`` enqueues
the periodic ones. State lives in the business tables (conditional updates), not in the tasks."""

from django_tasks import task

from core import scheduling

from . import services_sms

# Key of the task that sends the queued SMS (scheduling.run_soon(SMS_QUEUE) sends them now).
SMS_QUEUE = "sms_queue"


@task()
def send_sms_queue():
    """Every due SMS: retries after backoff, and messages of workers that died mid-send."""
    return services_sms.send_queued_sms()


@task()
def send_sms(sms_id):
    """Send one SMS right away (from the card or the API); the periodic pass retries failures."""
    return services_sms.send_sms_now(sms_id)


scheduling.register(send_sms_queue, key=SMS_QUEUE, due=services_sms.has_due, order=45)
