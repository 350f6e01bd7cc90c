"""Demo mail: a shared sales mailbox (inactive: there is no server behind it) with a thread on a
demo client — our offer, the client's reply threaded to it — and a letter waiting for review."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

MAILBOX = "Отдел продаж (sales@lider.example)"

REPLY = """Добрый день, Ирина!

Спасибо за предложение. Витрины подходят, но просим уточнить срок поставки и монтажа
для магазина на Ленинском проспекте. Оплату готовы провести в этом месяце.

С уважением,
{person}"""


def demo_exists():
    from ..models import Mailbox

    return Mailbox.all_objects.filter(name=MAILBOX).exists()


def load(stdout=None):
    from activities.models import Interaction, InteractionType
    from activities.services.email import new_message_id
    from clients.models import ContactInfo, ContactKind

    from ..models import IncomingLetter, Mailbox
    from . import services

    if demo_exists():
        if stdout:
            stdout.write("Incoming mail: already there.")
        return
    users = get_user_model().objects
    head = users.filter(username="saleshead").first() or users.filter(is_superuser=True).first()
    address = (ContactInfo.objects.filter(kind=ContactKind.EMAIL, counterparty__main_manager__isnull=False,
                                          contact_person__isnull=False, counterparty__deleted_at__isnull=True)
               .select_related("counterparty__main_manager", "contact_person").order_by("pk").first())
    if head is None or address is None:
        return
    client, manager = address.counterparty, address.counterparty.main_manager
    now = timezone.now()
    with transaction.atomic():
        mailbox = Mailbox.objects.create(name=MAILBOX, host="imap.lider.example", username="sales@lider.example",
                                         password="demo", responsible=head, active=False)  # noqa: S106  no server behind it
        offer = Interaction.objects.create(
            type=InteractionType.by_code("email"), direction=Interaction.Direction.OUTGOING,
            state=Interaction.State.DONE, subject="Коммерческое предложение: холодильные витрины",
            content="Направляем предложение на витрины и монтаж.", counterparty=client, responsible=manager,
            start=now - datetime.timedelta(days=2))
        offer.history.update(history_user=manager)  # the manager wrote the offer
        sent = offer.emails.create(to=address.value, subject=offer.subject, body=offer.content, state="sent",
                                   sent_at=offer.start, created_by=manager, message_id=new_message_id())
        reply = IncomingLetter.objects.create(
            mailbox=mailbox, uidvalidity=1, uid=1, message_id="<demo-reply-1@buyer.example>",
            in_reply_to=sent.message_id, references=sent.message_id, sender=address.value,
            sender_name=str(address.contact_person), recipients="sales@lider.example",
            subject=f"Re: {offer.subject}", sent_at=now - datetime.timedelta(days=1),
            text=REPLY.format(person=address.contact_person), reply_to_email=sent)
        services.attach(reply, client, address.contact_person)
        IncomingLetter.objects.create(
            mailbox=mailbox, uidvalidity=1, uid=2, message_id="<demo-unknown-2@mail.example>",
            sender="zakupki@novyi-magazin.example", sender_name="Новый магазин", recipients="sales@lider.example",
            subject="Запрос цены на морозильные лари", sent_at=now - datetime.timedelta(hours=3),
            text="Здравствуйте! Пришлите, пожалуйста, прайс на морозильные лари на 400–500 литров.")
        Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=1, last_uid=2)
    if stdout:
        stdout.write("Incoming mail: a shared mailbox, a thread and a letter to review.")


def register():
    """``manage.py load_demo``: after the clients and their contact information."""
    from core import registry
    from core.management.commands.load_demo import DemoLoader

    registry.demo_loaders.register("mail", DemoLoader(lambda context: load(stdout=context.stdout),
                                                     label="mail"), order=85)
