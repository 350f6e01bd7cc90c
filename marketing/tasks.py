"""Background tasks of marketing run by ``manage.py db_worker``; ``manage.py scheduler`` enqueues
the periodic ones. State lives in the business tables (conditional updates), not in the tasks."""

from django.utils import timezone
from django_tasks import task

from core import scheduling

from . import mailing_sender, services_sms
from .models import Mailing, MailingRecipient

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


@task()
def send_mailing(mailing_id):
    """Enqueued when a mailing starts; any number may run at once (see mailing_sender)."""
    return mailing_sender.send_mailing(mailing_id)


def mailings_due():
    """A mailing being sent has a due recipient, one whose worker's lease ran out, or a
    delivered message not yet in the client's history."""
    return MailingRecipient.objects.filter(mailing_sender.WAITING, mailing__state=Mailing.State.SENDING,
                                           next_attempt_at__lte=timezone.now()).exists()


@task()
def resume_mailings():
    """Retries after backoff, the batches of killed workers, mailings whose worker stopped."""
    return sum(mailing_sender.send_mailing(pk)
               for pk in Mailing.objects.filter(state=Mailing.State.SENDING).values_list("pk", flat=True))


scheduling.register(resume_mailings, due=mailings_due, order=60)
