"""«Лидер»'s installed equipment for the demo (``load_demo``): units at a dozen clients, service
contracts, a year of visits by the demo ``service`` engineer, a few phone consultations. Dates are
relative to the day of loading; catalogue products are found by name (created when missing)."""

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from clients.models import Counterparty
from sales.models import Order, Product

from . import equipment_services as services
from .models import Equipment, ServiceContract, ServiceVisit

# name, article, price: the refrigeration equipment «Лидер» installs and services. The names are
# the sales demo's catalogue (loaded before); the article and price only serve without it.
PRODUCTS = [
    ("Камера холодильная сборная 2×2×2,2 м", "КХ-2222", "165000"),
    ("Холодильная витрина «Илеть» 1,8 м", "ВХ-ИЛ-180", "108000"),
    ("Моноблок низкотемпературный 3 кВт", "МБ-Н-3", "145000"),
    ("Шкаф холодильный со стеклянной дверью 700 л", "ШХ-700", "68000"),
    ("Ларь морозильный 600 л", "ЛМ-0600", "47000"),
]
REPORTS = ["Проверка герметичности контура, чистка конденсатора, замер токов. Замечаний нет.",
           "Заменён вентилятор испарителя, дозаправка хладагента R404A 0,4 кг.",
           "Чистка дренажа, регулировка термостата, проверка уплотнителя двери.",
           "Профилактика выполнена, рекомендована замена уплотнителя при следующем визите."]
CONSULTATIONS = [("Камера не держит температуру", "Проверить, плотно ли закрыта дверь, очистить конденсатор."),
                 ("Наледь на испарителе", "Запустить ручную оттайку, проверить дренаж; при повторе — выезд."),
                 ("Шумит компрессор", "Проверить крепления; запланирован ремонтный визит.")]
CLIENTS = 12


def products():
    """The catalogue models, found by name (another demo may have created them), else created."""
    found = []
    for name, article, price in PRODUCTS:
        product = Product.objects.filter(name=name).first()
        if product is None:
            product = Product.objects.create(name=name, article=article if not Product.objects.filter(
                article=article).exists() else "", price=Decimal(price), currency="RUB")
        found.append(product)
    return found


def load(stdout=None, now=None):
    if Equipment.all_objects.exists():
        if stdout:
            stdout.write("Demo equipment is already loaded.")
        return {}
    now = now or timezone.now()
    today = timezone.localdate(now)
    engineer = get_user_model().objects.filter(username="service").first()
    clients = list(Counterparty.objects.filter(is_client=True, main_manager__isnull=False).order_by("pk")[:CLIENTS])
    if not clients:
        return {}
    rng = random.Random(12)
    with transaction.atomic():
        models = products()
        contracts, units = [], []
        for i, client in enumerate(clients):
            contract = None
            if i % 3 != 2:  # two clients in three have a service contract
                start = today - dt.timedelta(days=rng.randint(120, 330))
                end = start + dt.timedelta(days=364 if i % 4 else rng.randint(200, 220))  # a few end soon
                contract = ServiceContract.objects.create(
                    number=f"СО-{today.year}-{i + 1:03d}", counterparty=client, start=start, end=end,
                    visits_per_year=rng.choice([4, 6, 12]), response_hours=rng.choice([4, 8, 24]),
                    installation_days=rng.choice([3, 5, 10]), engineer=engineer,
                    amount=Decimal(rng.choice([60000, 96000, 144000])), currency="RUB")
                contracts.append(contract)
            order = Order.objects.filter(counterparty=client).order_by("date", "pk").first()
            for k in range(1 + i % 2):
                installed = today - dt.timedelta(days=rng.randint(60, 700))
                warranty = installed + dt.timedelta(days=730 if k == 0 else 365)
                units.append(Equipment.objects.create(
                    product=models[(i + k) % len(models)], serial_number=f"LD-{today.year % 100:02d}-{i + 1:03d}{k}",
                    counterparty=client, address=client.city or "", installed_on=installed, warranty_until=warranty,
                    contract=contract, order=order if k == 0 else None))
        visits = 0
        for contract in contracts:
            visits += services.plan_visits(contract, engineer)
            unit = next((u for u in units if u.contract_id == contract.pk), None)
            for n, visit in enumerate(ServiceVisit.objects.filter(contract=contract).order_by("planned_start")):
                visit.equipment = unit
                if visit.planned_start < now:
                    visit.state = ServiceVisit.State.DONE
                    visit.done_at = visit.planned_start + dt.timedelta(hours=2)
                    visit.report = REPORTS[n % len(REPORTS)]
                visit.save()
        for unit, (subject, advice) in zip(units[::4], CONSULTATIONS, strict=False):
            services.log_consultation(unit, engineer or clients[0].main_manager, subject, advice, 10,
                                      now=now - dt.timedelta(days=rng.randint(3, 60)))
    return {"equipment": len(units), "contracts": len(contracts), "visits": visits}


def register():
    """``manage.py load_demo``: after the sales demo (units are linked to its orders)."""
    from core import registry
    from core.management.commands.load_demo import DemoLoader

    registry.demo_loaders.register("service_equipment", DemoLoader(lambda context: load(stdout=context.stdout),
                                                                 label="service equipment"), order=60)
