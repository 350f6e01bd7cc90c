"""Background tasks of mailings (to be merged into marketing/tasks.py)."""

from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from core import scheduling

from . import mailing_sender
from .models import DELIVERED, Mailing, MailingRecipient, RecipientState


@task()
def send_mailing(mailing_id):
    """Started with the mailing; any number may run at once (see mailing_sender)."""
    return mailing_sender.send_mailing(mailing_id)


def mailings_due():
    """A mailing being sent has a due recipient, or one whose worker's lease ran out."""
    now = timezone.now()
    waiting = Q(state__in=[RecipientState.QUEUED, RecipientState.SENDING]) | (DELIVERED & Q(interaction__isnull=True))
    return MailingRecipient.objects.filter(waiting, mailing__state=Mailing.State.SENDING,
                                           next_attempt_at__lte=now).exists()


@task()
def resume_mailings():
    """Retries, leases of killed workers, and mailings whose worker stopped: picked up here."""
    sent = 0
    for pk in Mailing.objects.filter(state=Mailing.State.SENDING).values_list("pk", flat=True):
        sent += mailing_sender.send_mailing(pk)
    return sent


scheduling.register(resume_mailings, due=mailings_due, order=60)
