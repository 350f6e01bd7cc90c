"""A year of «Лидер»'s marketing for the demo (``load_demo``): campaigns of every kind with their
cost lines, and the deals they brought. Dates are relative to the day of loading."""

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from core.dashboard import month_start
from sales.models import Deal

from .models import Campaign, CampaignCost, DealCampaign

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
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["marketer", "head", "admin"])}
    author = users.get("marketer") or users.get("head") or users.get("admin")
    rng = random.Random(11)
    campaigns, costs = [], []
    for name, kind, channel, months_ago, days, budget, lines in CAMPAIGNS:
        start = month_start(today, -months_ago) + dt.timedelta(days=rng.randint(0, 10))
        end = start + dt.timedelta(days=days - 1)
        campaign = Campaign(name=name, kind=kind, channel=channel, state=state_of(start, end, today), start=start,
                            end=end, budget=Decimal(budget), currency="RUB", responsible=author)
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
    return {"campaigns": len(saved), "costs": len(costs), "deals": len(links)}


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
