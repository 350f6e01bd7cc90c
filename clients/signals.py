"""Keep the denormalised quick-search text in step with names and contact information."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import ContactInfo, ContactPerson, Counterparty
from .services import refresh_search_text


@receiver(post_save, sender=Counterparty)
@receiver(post_save, sender=ContactPerson)
@receiver(post_save, sender=ContactInfo)
def _refresh_search_text(sender, instance, raw=False, **kwargs):
    if raw:
        return
    refresh_search_text(instance.pk if sender is Counterparty else instance.counterparty_id)
