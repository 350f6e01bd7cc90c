"""A year of «Лидер»'s marketing for the demo (``load_demo``): campaigns of every kind with their
cost lines, and the deals they brought. Dates are relative to the day of loading."""

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from clients.models import Counterparty
from core.dashboard import month_start
from sales.models import Deal, LeadSource

from .models import (
    Campaign,
    CampaignCost,
    DealCampaign,
    GroupMember,
    Inquiry,
    MailingGroup,
    Segment,
    WebForm,
)

REASON = "Демо-данные"
# name, kind, channel, months ago it started, length in days, budget, cost lines (description, share)
CAMPAIGNS = [
    ("Контекстная реклама «Холодильные камеры»", "advertising", "search", 11, 90, 180_000,
     [("Яндекс Директ, первый месяц", "0.35"), ("Яндекс Директ, второй месяц", "0.33"),
      ("Яндекс Директ, третий месяц", "0.30")]),
    ("Выставка «Продэкспо»", "exhibition", "event", 10, 5, 450_000,
     [("Аренда стенда 24 м²", "0.55"), ("Застройка и оформление стенда", "0.30"), ("Раздаточные материалы", "0.07")]),
    ("Семинар для технологов общепита", "seminar", "event", 8, 1, 60_000,
     [("Аренда зала", "0.40"), ("Кофе-брейк", "0.20"), ("Приглашения и печать", "0.15")]),
    ("Рассылка «Весенняя профилактика холодильников»", "mailing", "email", 7, 30, 15_000,
     [("Сервис рассылок, тариф на месяц", "0.80")]),
    ("Обзвон клиентов «Сервисный договор»", "calls", "phone", 5, 45, 40_000,
     [("Работа операторов колл-центра", "0.90")]),
    ("Летняя акция «Витрина + монтаж»", "promotion", "website", 4, 60, 120_000,
     [("Баннеры на сайте и в соцсетях", "0.45"), ("Таргетированная реклама", "0.40")]),
    ("Вебинар «Энергосбережение в холодильной технике»", "webinar", "social", 2, 1, 25_000,
     [("Платформа вебинаров", "0.40"), ("Продвижение в соцсетях", "0.50")]),
    ("Реклама в отраслевом журнале «Холодильный бизнес»", "advertising", "print", 1, 60, 90_000,
     [("Полоса в журнале, два номера", "1.00")]),
]
DEALS_PER_CAMPAIGN = 3
def SEGMENTS(today):  # noqa: N802  (name, description, the client list's filters)
    quarter_ago = (today - dt.timedelta(days=90)).isoformat()
    return [
        ("A-клиенты без контакта 30 дней", "Кому позвонить в первую очередь.",
         f"abc=A&no_contact_since={(today - dt.timedelta(days=30)).isoformat()}"),
        ("Покупали за квартал от 100 000 ₽", "Для летней акции «Витрина + монтаж».",
         f"is_client=true&ordered_from={quarter_ago}&ordered_sum_min=100000"),
        ("Клиенты с эл. почтой", "Для рассылок.", "is_client=true&has_email=true"),
    ]


SOURCE_OF_CHANNEL = {"search": "advertising", "print": "advertising", "event": "exhibition", "email": "email",
                     "phone": "cold_call", "website": "website", "social": "social"}
# company, person, phone, email, message
INQUIRERS = [
    ("ООО «Северный ветер»", "Петров Илья", "+74951234501", "petrov@severny-veter.ru",
     "Нужна холодильная камера для склада"),
    ("Кафе «Уют»", "Смирнова Ольга", "+74951234502", "", "Сколько стоит витрина на 1,5 м?"),
    ("", "Козлов Андрей", "+79161234503", "kozlov.a@mail.ru", "Сломался ларь, нужен мастер"),
    ("ИП Волкова", "Волкова Наталья", "", "volkova@example.ru", "Прошу прислать прайс на морозильные лари"),
    ("Сеть «Продуктовый двор»", "Фёдоров Сергей", "+74951234505", "fedorov@prodvor.ru",
     "Оснащение двух новых магазинов под ключ"),
    ("Столовая №5", "Никитина Вера", "+74951234506", "", "Интересует сервисный договор"),
    ("ООО «Айсберг»", "", "", "info@aisberg.ru", "Запрос коммерческого предложения на сплит-систему"),
    ("", "Орлов Павел", "+79031234508", "", "Перезвоните, пожалуйста, по акции"),
    ("Пекарня «Колосок»", "Белова Ирина", "+74951234509", "belova@kolosok.ru", "Холодильный стол для цеха"),
    ("ТЦ «Радуга»", "Морозов Денис", "+74951234510", "", "Монтаж камеры на фуд-корте"),
    ("", "Ткачук Алина", "", "spam@spam.example", "Продвижение сайтов недорого"),
    ("Гостиница «Волга»", "Лебедев Олег", "+74951234512", "lebedev@volga-hotel.ru", "Ремонт холодильного оборудования"),
]
CHANNELS = ["phone", "email", "web_form", "messenger", "social", "visit", "event", "web_form", "phone", "email",
            "web_form", "phone"]


def demo_exists():
    return Campaign.all_objects.filter(name=CAMPAIGNS[0][0]).exists()


def state_of(start, end, today):
    if start > today:
        return Campaign.State.PLANNED
    return Campaign.State.ACTIVE if end is None or end >= today else Campaign.State.FINISHED


def load(stdout=None, now=None):
    """Add the demo campaigns, their costs and deal links, unless already there; returns counts."""
    if demo_exists():
        if stdout:
            stdout.write("Demo campaigns are already loaded.")
        return {}
    today = timezone.localdate(now or timezone.now())
    User = get_user_model()  # noqa: N806
    users = {u.username: u for u in User.objects.filter(username__in=["marketer", "head", "admin"])}
    author = users.get("marketer") or users.get("head") or users.get("admin")
    rng = random.Random(11)
    sources = {s.code: s for s in LeadSource.objects.exclude(code="")}
    campaigns, costs = [], []
    for name, kind, channel, months_ago, days, budget, lines in CAMPAIGNS:
        start = month_start(today, -months_ago) + dt.timedelta(days=rng.randint(0, 10))
        end = start + dt.timedelta(days=days - 1)
        campaign = Campaign(name=name, kind=kind, channel=channel, state=state_of(start, end, today), start=start,
                            end=end, budget=Decimal(budget), currency="RUB", responsible=author,
                            lead_source=sources.get(SOURCE_OF_CHANNEL.get(channel, "other")))
        campaigns.append(campaign)
        for i, (text, share) in enumerate(lines):
            day = min(start + dt.timedelta(days=i * max(days // len(lines), 1)), today)
            costs.append(CampaignCost(campaign=campaign, date=day, description=text,
                                      amount=(Decimal(budget) * Decimal(share)).quantize(Decimal("1"))))
    with transaction.atomic():
        bulk_create_with_history(campaigns, Campaign, default_user=author, default_change_reason=REASON)
        saved = list(Campaign.objects.filter(name__in=[c[0] for c in CAMPAIGNS]).order_by("start"))
        by_name = {c.name: c for c in saved}
        for cost in costs:
            cost.campaign = by_name[cost.campaign.name]
        bulk_create_with_history(costs, CampaignCost, default_user=author, default_change_reason=REASON)
        links = link_deals(saved, rng)
        bulk_create_with_history(links, DealCampaign, default_user=author, default_change_reason=REASON)
        inquiries = load_inquiries(saved, today, rng)
        summer = next(c for c in saved if c.channel == Campaign.Channel.WEBSITE)
        segments = [Segment(name=name, description=text, query=query) for name, text, query in SEGMENTS(today)]
        bulk_create_with_history(segments, Segment, default_user=author, default_change_reason=REASON)
        Campaign.objects.filter(pk=summer.pk).update(target_segment=Segment.objects.get(name=SEGMENTS(today)[1][0]))
        group = MailingGroup(name="Новости и акции", description="Клиенты, согласные получать новости.")
        bulk_create_with_history([group], MailingGroup, default_user=author, default_change_reason=REASON)
        group = MailingGroup.objects.get(name=group.name)
        members = [GroupMember(group=group, counterparty_id=pk) for pk in
                   Counterparty.objects.filter(is_client=True).order_by("pk").values_list("pk", flat=True)[:25]]
        bulk_create_with_history(members, GroupMember, default_user=author, default_change_reason=REASON)
        bulk_create_with_history([WebForm(name="Заявка с сайта", campaign=summer, lead_source=summer.lead_source,
                                          responsible=User.objects.filter(username="manager1").first(),
                                          success_message="Спасибо! Мы перезвоним в течение рабочего дня.")],
                                 WebForm, default_user=author, default_change_reason=REASON)
    sent = load_mailings(author, group, saved, today)
    return {"campaigns": len(saved), "costs": len(costs), "deals": len(links), "inquiries": inquiries,
            "mailed": sent}


def load_mailings(author, group, campaigns, today):
    """Consent on the group's email addresses, a mailing already sent to them (through the dummy
    email backend: the demo writes to nobody) and a draft for a segment."""
    from clients.models import ContactInfo, ContactKind

    from . import mailing_sender, mailings
    from .models import Mailing

    if author is None:
        return 0
    ContactInfo.objects.filter(counterparty__in=group.members.values("counterparty_id"), kind=ContactKind.EMAIL
                               ).update(consent_date=today - dt.timedelta(days=200), consent_source="Анкета клиента")
    spring = next((c for c in campaigns if c.kind == Campaign.Kind.MAILING), None)
    Mailing.objects.create(name="Приглашение на семинар", segment=Segment.objects.order_by("pk").first(),
                           audience="persons", subject="Приглашаем на семинар, {{ first_name }}",
                           body="Добрый день, {{ first_name }} {{ middle_name }}!\n\nПриглашаем вас на семинар "
                                "для технологов общепита.")
    news = Mailing.objects.create(
        name="Новости «Лидера»: сервисное обслуживание", group=group, campaign=spring,
        subject="{{ client_name }}: скидка 15 % на сервисное обслуживание",
        body="Добрый день, {{ first_name }}!\n\nДо конца месяца обслуживание холодильного оборудования — со скидкой "
             "15 %. Ваш менеджер {{ manager_name }} подберёт удобное время.\n\nС уважением, компания «Лидер»")
    mailings.start(news, author)
    # Nobody receives it (dummy backend), so it is not paced.
    sent = mailing_sender.send_mailing(news.pk, email_backend="django.core.mail.backends.dummy.EmailBackend", rate=0)
    from activities.models import Interaction

    Interaction.history.filter(basis_type__model="mailing", basis_id=news.pk).update(
        history_change_reason=REASON, history_user=author)
    return sent


def load_inquiries(campaigns, today, rng):
    """Inquiries from every channel over the year: four already converted into deals of the demo
    (their client's name, linked to a deal of the campaign), one spam rejected, the rest new or in
    work. The conversion itself is not replayed: the other demos count their clients and deals."""
    managers = list(get_user_model().objects.filter(username__in=["manager1", "manager2", "manager3"])
                    .order_by("username"))
    admin = get_user_model().objects.filter(username="admin").first()
    if not managers or admin is None:
        return 0
    made = []
    for i, ((company, person, phone, email, message), channel) in enumerate(zip(INQUIRERS, CHANNELS, strict=True)):
        campaign = campaigns[i % len(campaigns)]
        day = min(campaign.start + dt.timedelta(days=rng.randint(0, 20)), today)
        received = timezone.make_aware(dt.datetime.combine(day, dt.time(9 + i % 8, 15)))
        state = Inquiry.State.IN_WORK if i % 3 == 0 else Inquiry.State.NEW
        inquiry = Inquiry(received_at=received, channel=channel, campaign=campaign if i % 4 != 3 else None,
                          company=company, person_name=person, phone=phone, email=email, message=message,
                          responsible=managers[i % len(managers)] if i % 5 != 4 else None, state=state,
                          lead_source=campaign.lead_source if i % 4 != 3 else None,
                          utm_source="yandex" if channel == "web_form" else "",
                          utm_campaign=f"campaign-{campaign.pk}" if channel == "web_form" else "")
        if "spam" in email:
            inquiry.state, inquiry.reject_reason, inquiry.responsible = Inquiry.State.REJECTED, "Спам", None
        made.append(inquiry)
    converted = [link.deal for link in DealCampaign.objects.select_related("deal__counterparty")
                 .order_by("campaign__start", "pk")[:4]]
    for inquiry, deal in zip(made, converted, strict=False):
        inquiry.campaign = DealCampaign.objects.get(deal=deal).campaign
        inquiry.company, inquiry.responsible = deal.counterparty.name, deal.responsible
        inquiry.received_at = deal.created_at - dt.timedelta(hours=3)
        inquiry.state, inquiry.counterparty, inquiry.deal = Inquiry.State.CONVERTED, deal.counterparty, deal
        inquiry.converted_at = deal.created_at
    for inquiry in made:
        inquiry.full_clean()
    bulk_create_with_history(made, Inquiry, default_user=admin, default_change_reason=REASON)
    return len(made)


def link_deals(campaigns, rng):
    """A few deals created during each campaign (or after it ended, within a month) came from it."""
    links, taken = [], set()
    for campaign in campaigns:
        until = (campaign.end or campaign.start) + dt.timedelta(days=30)
        deals = [d for d in Deal.objects.filter(created_at__date__gte=campaign.start, created_at__date__lte=until)
                 .order_by("pk").values_list("pk", flat=True) if d not in taken]
        for pk in rng.sample(deals, min(DEALS_PER_CAMPAIGN, len(deals))):
            taken.add(pk)
            links.append(DealCampaign(deal_id=pk, campaign=campaign))
    return links


def register():
    """``manage.py load_demo``: after the sales demo (its deals are linked to the campaigns)."""
    from core import registry
    from core.management.commands.load_demo import DemoLoader

    registry.demo_loaders.register("marketing", DemoLoader(lambda context: load(stdout=context.stdout),
                                                          label="marketing"), order=50)
