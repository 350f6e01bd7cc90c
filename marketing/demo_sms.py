"""Demo SMS for ``load_demo``: a few messages managers sent to contact persons of their clients,
"sent" through the console gateway whatever backend is configured (the demo texts nobody)."""

import datetime as dt
import io

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from activities.models import Interaction
from clients.models import ContactInfo, ContactKind

from . import services_sms
from .models import OutgoingSms
from .sms import ConsoleGateway

TEXTS = [
    "Добрый день! Коммерческое предложение по холодильной камере отправили на почту. Менеджер «Лидер».",
    "Напоминаем: монтаж оборудования завтра с 10:00 до 12:00. Вопросы по телефону +7 495 123-45-67.",
    "Спасибо за заказ! Счёт оплачен, отгрузка в пятницу.",
]


def load(stdout=None, now=None):
    if OutgoingSms.all_objects.filter(source__startswith="demo:").exists():
        if stdout:
            stdout.write("Demo SMS are already loaded.")
        return 0
    now = now or timezone.now()
    managers = get_user_model().objects.filter(username__in=["manager1", "manager2"]).order_by("username")
    gateway = ConsoleGateway(stream=io.StringIO())
    count = 0
    for index, (manager, text) in enumerate(zip(list(managers) * 2, TEXTS, strict=False)):
        phone = (ContactInfo.objects.filter(kind=ContactKind.MOBILE, contact_person__isnull=False,
                                            counterparty__main_manager=manager)
                 .select_related("counterparty", "contact_person").order_by("pk")[index:index + 1].first())
        if phone is None:
            continue
        at = now - dt.timedelta(days=3 * index + 1, hours=2)
        with transaction.atomic():
            interaction = Interaction.objects.create(
                type=services_sms.sms_type(), direction=Interaction.Direction.OUTGOING,
                state=Interaction.State.DONE, subject=text[:200], content=text, counterparty=phone.counterparty,
                responsible=manager, start=at, end=at)
            interaction.contact_persons.add(phone.contact_person)
            sms = services_sms.queue_sms(phone.value, text, counterparty=phone.counterparty,
                                         contact_person=phone.contact_person, created_by=manager,
                                         interaction=interaction, source=f"demo:{index}", now=at)
        if sms is not None and services_sms.claim(sms.pk, at):
            services_sms.send_claimed(sms, gateway, at)
            OutgoingSms.all_objects.filter(pk=sms.pk).update(sent_at=at, created_at=at)
            count += 1
    if stdout:
        stdout.write(f"Demo SMS: {count}.")
    return count


def register():
    """``manage.py load_demo``: after the clients and their managers exist."""
    from core import registry
    from core.management.commands.load_demo import DemoLoader

    registry.demo_loaders.register("marketing_sms", DemoLoader(lambda context: load(stdout=context.stdout),
                                                              label="SMS"), order=55)
