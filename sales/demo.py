"""Deals and two years of orders for the demo company «Лидер» (``load_demo``).

~200 deals at every stage of the default pipeline, with a stage history spread over the last
months (so the funnel and the time in each stage mean something), won and lost ones with their
reasons; orders over the last two years with lines (price and unit cost), planned and actual
shipments and payments — partial ones, overdue invoices, a few orders that fell through. Volumes
follow the seasons of the refrigeration trade and a few large clients buy most (ABC / XYZ).

Dates are relative to the day of loading. Rows come from a seeded ``random.Random`` walking the
clients in tax-id order, so two loads on the same day give the same rows. Bulk inserts: deals
get history records (their change reason marks the demo, which keeps ``load`` idempotent);
the thousands of order rows do not need any.
"""

import datetime as dt
import itertools
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from clients.models import Counterparty
from core.access import Role
from core.bulk import own_timestamps

from .models import (
    Deal,
    DealLine,
    LeadSource,
    LostReason,
    Order,
    OrderFailureReason,
    OrderLine,
    Payment,
    Pipeline,
    PlanFact,
    Product,
    ProductCategory,
    ProductKind,
    Shipment,
    Stage,
    StageChange,
    StageRule,
)
from .services.aggregates import refresh_furthest_before, refresh_furthest_stage

SEED = 2017_05
REASON = "Демо-данные"  # history change reason of the demo deals (idempotency check)
CENT = Decimal("0.01")
MONTHS = 24
ORDERS_PER_MONTH = 78  # before seasons and growth: ~2000 orders in two years
# Open stages in order, then won and lost: how many demo deals sit in each.
OPEN_DEALS = [32, 28, 22, 18, 14]
WON_DEALS, LOST_DEALS = 50, 36
# Days a deal spends in each open stage before moving on (min, max).
STAGE_DAYS = [(2, 12), (3, 14), (5, 24), (4, 18), (2, 10)]
# Refrigeration trade: spring and summer are the high season.
SEASON = {1: 0.7, 2: 0.8, 3: 1.0, 4: 1.15, 5: 1.3, 6: 1.35, 7: 1.3, 8: 1.15, 9: 1.0, 10: 0.95, 11: 0.85,
          12: 0.9}
GROWTH_PER_YEAR = 0.15
PRICE_RISE_PER_YEAR = 0.08

# name, list price (RUB, two years ago), unit cost share, kind
EQUIPMENT, MOUNTING, DELIVERY, SERVICE = "equipment", "mounting", "delivery", "service"
PRODUCTS = [
    ("Холодильная витрина «Илеть» 1,2 м", 78_000, 0.68, EQUIPMENT),
    ("Холодильная витрина «Илеть» 1,5 м", 92_000, 0.68, EQUIPMENT),
    ("Холодильная витрина «Илеть» 1,8 м", 108_000, 0.68, EQUIPMENT),
    ("Витрина кондитерская «Кубань» 1,3 м", 96_000, 0.70, EQUIPMENT),
    ("Горка холодильная «Арго» 1,875 м", 185_000, 0.70, EQUIPMENT),
    ("Горка холодильная «Арго» 2,5 м", 236_000, 0.70, EQUIPMENT),
    ("Шкаф холодильный со стеклянной дверью 700 л", 68_000, 0.66, EQUIPMENT),
    ("Шкаф холодильный со стеклянной дверью 1400 л", 118_000, 0.66, EQUIPMENT),
    ("Шкаф морозильный 700 л", 84_000, 0.67, EQUIPMENT),
    ("Ларь морозильный 400 л", 38_000, 0.65, EQUIPMENT),
    ("Ларь морозильный 600 л", 47_000, 0.65, EQUIPMENT),
    ("Бонета морозильная 2,1 м", 156_000, 0.70, EQUIPMENT),
    ("Камера холодильная сборная 2×2×2,2 м", 165_000, 0.62, EQUIPMENT),
    ("Камера холодильная сборная 3×2×2,2 м", 210_000, 0.62, EQUIPMENT),
    ("Моноблок среднетемпературный 3 кВт", 112_000, 0.70, EQUIPMENT),
    ("Моноблок низкотемпературный 3 кВт", 145_000, 0.70, EQUIPMENT),
    ("Сплит-система среднетемпературная 5 кВт", 198_000, 0.72, EQUIPMENT),
    ("Сплит-система низкотемпературная 5 кВт", 265_000, 0.72, EQUIPMENT),
    ("Монтаж холодильного оборудования", 9_500, 0.35, MOUNTING),
    ("Монтаж холодильной камеры", 28_000, 0.40, MOUNTING),
    ("Пусконаладочные работы", 7_500, 0.30, MOUNTING),
    ("Доставка по Москве и области", 4_500, 0.60, DELIVERY),
    ("Сервисное обслуживание, месяц", 12_000, 0.45, SERVICE),
    ("Ремонт компрессора", 18_000, 0.50, SERVICE),
    ("Заправка хладагентом R404A", 7_500, 0.40, SERVICE),
    ("Замена вентилятора конденсатора", 6_800, 0.45, SERVICE),
]
BY_KIND = {kind: [p for p in PRODUCTS if p[3] == kind] for kind in (EQUIPMENT, MOUNTING, DELIVERY, SERVICE)}
DEAL_TITLES = {
    EQUIPMENT: ["Оснащение торгового зала витринами", "Холодильная камера на склад", "Замена старых витрин",
                "Оснащение нового магазина", "Морозильные лари к сезону", "Горки для молочного отдела",
                "Моноблок для камеры", "Сплит-система для склада", "Шкафы для напитков"],
    SERVICE: ["Сервисный договор на год", "Ремонт холодильной камеры", "Плановое ТО оборудования"],
}
WON_COMMENTS = ["Договор подписан, предоплата получена", "Клиент выбрал нас за сроки монтажа",
                "Согласовали скидку 5 %", "Повторная покупка", ""]
LOST_COMMENTS = ["Конкурент дал скидку 12 %", "Бюджет перенесли на следующий год",
                 "Клиент перестал выходить на связь", "Выбрали более дешёвое оборудование", ""]
FAILURE_REASONS = ["Клиент отказался от покупки", "Не согласовали сроки поставки", "Нет оборудования у поставщика",
                   "Клиент выбрал другого поставщика", "Не прошла оплата"]
# Seed 002's sales procedure as stage rules of the default pipeline, by open stage (0 = the first):
# (stage, task, description, deadline, unit, role or "" for the deal's responsible).
MINUTES, HOURS, DAYS = StageRule.Unit.MINUTES, StageRule.Unit.HOURS, StageRule.Unit.DAYS
STAGE_RULES = [
    (0, "Позвонить клиенту", "Новый интерес: связаться с клиентом в течение 15 минут и договориться о "
        "презентации оборудования.", 15, MINUTES, ""),
    (1, "Рассчитать стоимость", "Рассчитать стоимость оборудования и монтажа в течение 2 часов.", 2, HOURS, ""),
    (1, "Выполнить замер на объекте", "Выехать к клиенту и замерить помещение под оборудование.", 2, DAYS,
     Role.SERVICE),
    (2, "Уточнить решение клиента", "Позвонить клиенту: принято ли решение, остались ли вопросы.", 3, DAYS, ""),
    (3, "Подготовить договор", "Подготовить договор и согласовать его с клиентом.", 1, DAYS, ""),
    (4, "Согласовать дату монтажа", "Передать документы в монтаж и согласовать с клиентом дату монтажа.", 4,
     HOURS, Role.SERVICE),
]
FAILURE_COMMENTS = ["Отказ после выставления счёта", "Поставщик сорвал сроки", "Магазин закрывается", ""]


# The catalogue «Лидер» sells (seed 002): category path, and per product its demo line name (PRODUCTS
# above, so the demo's lines link it), article, unit; then products no demo line uses.
CATEGORIES = {
    EQUIPMENT: ("Холодильное оборудование", None),
    "cases": ("Холодильные витрины", EQUIPMENT), "hills": ("Горки и бонеты", EQUIPMENT),
    "cabinets": ("Шкафы и лари", EQUIPMENT), "rooms": ("Холодильные камеры", EQUIPMENT),
    "units": ("Холодильные агрегаты", EQUIPMENT), "parts": ("Комплектующие и расходные материалы", EQUIPMENT),
    "works": ("Работы и услуги", None), MOUNTING: ("Монтаж и пусконаладка", "works"),
    DELIVERY: ("Доставка", "works"), SERVICE: ("Сервисное обслуживание и ремонт", "works"),
}
ARTICLES = {  # line name -> (article, category key, unit)
    PRODUCTS[0][0]: ("ВХ-ИЛ-120", "cases", "pcs"), PRODUCTS[1][0]: ("ВХ-ИЛ-150", "cases", "pcs"),
    PRODUCTS[2][0]: ("ВХ-ИЛ-180", "cases", "pcs"), PRODUCTS[3][0]: ("ВК-КБ-130", "cases", "pcs"),
    PRODUCTS[4][0]: ("ГХ-АР-188", "hills", "pcs"), PRODUCTS[5][0]: ("ГХ-АР-250", "hills", "pcs"),
    PRODUCTS[6][0]: ("ШХ-СД-0700", "cabinets", "pcs"), PRODUCTS[7][0]: ("ШХ-СД-1400", "cabinets", "pcs"),
    PRODUCTS[8][0]: ("ШМ-0700", "cabinets", "pcs"), PRODUCTS[9][0]: ("ЛМ-0400", "cabinets", "pcs"),
    PRODUCTS[10][0]: ("ЛМ-0600", "cabinets", "pcs"), PRODUCTS[11][0]: ("БМ-210", "hills", "pcs"),
    PRODUCTS[12][0]: ("КХС-222", "rooms", "set"), PRODUCTS[13][0]: ("КХС-322", "rooms", "set"),
    PRODUCTS[14][0]: ("МБ-С-03", "units", "pcs"), PRODUCTS[15][0]: ("МБ-Н-03", "units", "pcs"),
    PRODUCTS[16][0]: ("СС-С-05", "units", "set"), PRODUCTS[17][0]: ("СС-Н-05", "units", "set"),
    PRODUCTS[18][0]: ("УС-МНТ-01", MOUNTING, "svc"), PRODUCTS[19][0]: ("УС-МНТ-02", MOUNTING, "svc"),
    PRODUCTS[20][0]: ("УС-ПНР-01", MOUNTING, "svc"), PRODUCTS[21][0]: ("УС-ДОС-01", DELIVERY, "svc"),
    PRODUCTS[22][0]: ("УС-СО-01", SERVICE, "svc"), PRODUCTS[23][0]: ("УС-РМ-01", SERVICE, "svc"),
    PRODUCTS[24][0]: ("УС-ЗПР-01", SERVICE, "svc"), PRODUCTS[25][0]: ("УС-РМ-02", SERVICE, "svc"),
}
# name, article, category key, unit, price, cost share, active
MORE_PRODUCTS = [
    ("Компрессор герметичный Danfoss MTZ 40", "КП-DF-040", "parts", "pcs", 64_000, 0.72, True),
    ("Компрессор полугерметичный Bitzer 4EES-4Y", "КП-BZ-4EES", "parts", "pcs", 238_000, 0.74, True),
    ("Воздухоохладитель потолочный 4 кВт", "ВО-04", "parts", "pcs", 47_000, 0.70, True),
    ("Конденсатор воздушного охлаждения 8 кВт", "КД-08", "parts", "pcs", 41_000, 0.70, True),
    ("Завеса ПВХ для холодильной камеры", "ЗП-ПВХ", "parts", "m", 3_400, 0.55, True),
    ("Хладагент R404A", "ХА-R404A", "parts", "kg", 1_450, 0.60, True),
    ("Диагностика холодильного оборудования", "УС-ДГН-01", SERVICE, "svc", 3_800, 0.35, True),
    ("Ларь морозильный 300 л (снят с продажи)", "ЛМ-0300", "cabinets", "pcs", 31_000, 0.65, False),
]
CATALOGUE_YEARS = 2  # PRODUCTS' prices are two years old: the catalogue lists today's


def _catalogue_price(base):
    price = base * (1 + PRICE_RISE_PER_YEAR) ** CATALOGUE_YEARS
    return Decimal(round(price, -1 if base < 20_000 else -2))


def ensure_catalogue():
    """The demo catalogue, created unless there are products; ({line name: Product}, products created).
    Demo lines loaded before the catalogue existed are linked by name."""
    by_name = {p.name: p for p in Product.all_objects.filter(name__in=ARTICLES)}
    if Product.all_objects.exists():
        return by_name, 0
    with transaction.atomic():
        categories = {}
        for key, (name, parent) in CATEGORIES.items():  # parents first (dict order)
            categories[key] = ProductCategory.objects.create(name=name, parent=categories.get(parent))
        rows = []
        for name, base, share, _kind in PRODUCTS:
            article, category, unit = ARTICLES[name]
            price = _catalogue_price(base)
            rows.append((name, article, category, unit, price, share, True))
        for name, article, category, unit, base, share, active in MORE_PRODUCTS:
            rows.append((name, article, category, unit, Decimal(base), share, active))
        for name, article, category, unit, price, share, active in rows:
            works = category in (MOUNTING, DELIVERY, SERVICE)
            by_name[name] = Product.objects.create(
                name=name, article=article, category=categories[category], unit=unit, price=price,
                cost=(price * Decimal(str(share))).quantize(Decimal("1")), is_active=active,
                kind=ProductKind.SERVICE if works else ProductKind.PRODUCT)
        for name, product in by_name.items():
            for model in (DealLine, OrderLine):
                model.objects.filter(catalog_product__isnull=True, product=name).update(catalog_product=product)
    return by_name, len(rows)


def default_failure_reasons():
    """The order failure reasons: the administrator's list, or a sensible one if it is empty."""
    reasons = list(OrderFailureReason.objects.order_by("order", "pk"))
    if not reasons:
        reasons = [OrderFailureReason.objects.create(name=name, order=i * 10)
                   for i, name in enumerate(FAILURE_REASONS, start=1)]
    return reasons


class Builder:
    """Unsaved rows for one load; ``now`` fixes "today" for the whole run."""

    def __init__(self, clients, stages, lost_reasons, failure_reasons, now):
        self.rng = random.Random(SEED)
        self.now = now
        self.today = timezone.localdate(now)
        self.start = self.month_start(self.today, -(MONTHS - 1))
        self.clients = clients
        self.open_stages = [s for s in stages if s.kind == Stage.Kind.OPEN]
        self.won = next(s for s in stages if s.kind == Stage.Kind.WON)
        self.lost = next(s for s in stages if s.kind == Stage.Kind.LOST)
        self.lost_reasons, self.failure_reasons = lost_reasons, failure_reasons
        self.lead_sources = list(LeadSource.objects.order_by("order", "pk"))  # built-in rows unless changed
        # A few clients (chains above all) buy most: Pareto weights, fixed per client.
        weights = [self.rng.paretovariate(1.3) * (5 if cp.big else 1) for cp in clients]
        self.cum_weights = list(itertools.accumulate(weights))
        self.deals, self.deal_lines, self.changes = [], [], []
        self.orders, self.lines, self.shipments, self.payments = [], [], [], []
        self.catalogue = {}  # line name -> sales.Product: lines with a catalogue product's name link it

    # Helpers ------------------------------------------------------------------------------------
    @staticmethod
    def month_start(day, shift=0):
        month = day.year * 12 + day.month - 1 + shift
        return dt.date(month // 12, month % 12 + 1, 1)

    def client(self):
        return self.rng.choices(self.clients, cum_weights=self.cum_weights)[0]

    def at(self, day, hour=None):
        hour = self.rng.randint(9, 17) if hour is None else hour
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, self.rng.choice([0, 10, 20, 30, 40, 50]))))

    @staticmethod
    def work_day(day, step=1):
        """``day`` or the nearest working day after it (before it with ``step=-1``)."""
        while day.weekday() >= 5:
            day += dt.timedelta(days=step)
        return day

    def moment(self, day):
        """A working-hours time on the working day at or before ``day``, never after now."""
        when = self.at(self.work_day(day, -1))
        return min(when, self.now - dt.timedelta(minutes=self.rng.randint(5, 90)))

    def price(self, product, day, client):
        """List price grown with time, ±4 % per client; unit cost from the product's cost share."""
        _name, base, cost_share, _kind = product
        years = (day - self.start).days / 365
        price = base * (1 + PRICE_RISE_PER_YEAR * years) * (1 + (client.pk % 9 - 4) / 100)
        price = Decimal(round(price, -1 if base < 20_000 else -2))
        return price, (price * Decimal(str(cost_share))).quantize(Decimal("1"))

    def products(self, client, big):
        """[(product, quantity)]: equipment with delivery and mounting, or a service order."""
        rng = self.rng
        if rng.random() < 0.22:
            return [(p, 1 if p[0].startswith("Ремонт") else rng.randint(1, 3))
                    for p in rng.sample(BY_KIND[SERVICE], rng.choice([1, 1, 2]))]
        items = [(p, rng.randint(1, 6 if big else 3)) for p in rng.sample(BY_KIND[EQUIPMENT], rng.choice([1, 1, 2, 3]))]
        if rng.random() < 0.75:
            items.append((BY_KIND[DELIVERY][0], 1))
        if rng.random() < 0.6:
            items.append((rng.choice(BY_KIND[MOUNTING]), sum(q for _p, q in items[:1])))
        return items

    # Deals -------------------------------------------------------------------------------------
    def stage_path(self, deal, path, days_ago):
        """StageChange rows for ``path`` (stages in order), the last move ``days_ago``; returns the times."""
        spans = [self.rng.randint(*STAGE_DAYS[min(i, len(STAGE_DAYS) - 1)]) for i in range(len(path) - 1)]
        days = [self.today - dt.timedelta(days=days_ago)]
        for span in reversed(spans):
            days.insert(0, days[0] - dt.timedelta(days=span))
        moved_at = [self.moment(day) for day in days]
        for i in range(len(moved_at) - 1, 0, -1):  # weekends moved back may meet the move before
            if moved_at[i - 1] >= moved_at[i]:
                moved_at[i - 1] = moved_at[i] - dt.timedelta(hours=2)
        previous = None
        for i, (stage, when) in enumerate(zip(path, moved_at, strict=True)):
            left_at = moved_at[i + 1] if i + 1 < len(moved_at) else None
            self.changes.append(StageChange(deal=deal, from_stage=previous, to_stage=stage, left_at=left_at,
                                            moved_by_id=deal.responsible_id, moved_at=when))
            previous = stage
        return moved_at

    def deal(self, stage, path, days_ago):
        rng = self.rng
        cp = self.client()
        items = self.products(cp, cp.big)
        kind = SERVICE if items[0][0][3] == SERVICE else EQUIPMENT
        deal = Deal(counterparty=cp, responsible_id=cp.main_manager_id, stage=stage, currency="RUB",
                    title=rng.choice(DEAL_TITLES[kind]),
                    lead_source=rng.choice(self.lead_sources) if self.lead_sources else None)
        moved_at = self.stage_path(deal, path, days_ago)
        created, end = moved_at[0], moved_at[-1]
        day = timezone.localdate(created)
        amount = Decimal(0)
        for product, quantity in items:
            price, _cost = self.price(product, day, cp)
            line = DealLine(deal=deal, product=product[0], quantity=quantity, price=price,
                            catalog_product=self.catalogue.get(product[0]), created_at=created, updated_at=created)
            self.deal_lines.append(line)
            amount += line.total
        deal.amount = amount
        deal.probability = stage.probability
        deal.created_at, deal.updated_at = created, end
        deal._history_date = created
        if stage.is_closed:
            deal.closed_at = end
            deal.expected_close_date = timezone.localdate(end) + dt.timedelta(days=rng.randint(-10, 10))
        self.deals.append(deal)
        return deal, items, end

    def open_deal(self, index):
        """A deal in the open stage ``index``, moved there some days ago."""
        rng = self.rng
        stage = self.open_stages[index]
        deal, _items, _end = self.deal(stage, self.open_stages[:index + 1], rng.randint(0, 25))
        if rng.random() < 0.15 and 0 < stage.probability < 100:  # the manager's own estimate
            deal.probability = max(5, min(95, stage.probability + rng.choice([-10, -5, 5, 10])))
        if rng.random() < 0.9:  # later stages close sooner; a few are already late
            days = rng.randint(-20, 35) + (len(self.open_stages) - 1 - index) * rng.randint(5, 25)
            deal.expected_close_date = self.today + dt.timedelta(days=days)

    def closed_deal(self, won):
        rng = self.rng
        days_ago = rng.randint(0, 330)
        if won:
            path = [*self.open_stages, self.won]
        else:  # most deals are lost early
            last = rng.choices(range(len(self.open_stages)), weights=[30, 30, 20, 12, 8])[0]
            path = [*self.open_stages[:last + 1], self.lost]
        deal, items, end = self.deal(path[-1], path, days_ago)
        deal.result_comment = rng.choice(WON_COMMENTS if won else LOST_COMMENTS)
        if won:  # the won deal becomes an order on the day it closed
            self.order(timezone.localdate(end), deal.counterparty, items=items, deal=deal)
        else:
            deal.lost_reason = rng.choice(self.lost_reasons)

    def all_deals(self):
        for index, count in enumerate(OPEN_DEALS[:len(self.open_stages)]):
            for _ in range(count):
                self.open_deal(index)
        for _ in range(WON_DEALS):
            self.closed_deal(won=True)
        for _ in range(LOST_DEALS):
            self.closed_deal(won=False)

    # Orders ------------------------------------------------------------------------------------
    def order(self, day, cp, items=None, deal=None):
        big = cp.big
        order = Order(counterparty=cp, responsible_id=cp.main_manager_id, date=day, deal=deal, currency="RUB",
                      state=Order.State.CONFIRMED, created_at=min(self.at(day), self.now), comment="")
        order.updated_at = order.created_at
        lines = []
        for product, quantity in items or self.products(cp, big):
            price, cost = self.price(product, day, cp)
            lines.append(OrderLine(order=order, product=product[0], quantity=Decimal(quantity), price=price,
                                   cost=cost, catalog_product=self.catalogue.get(product[0]),
                                   created_at=order.created_at, updated_at=order.created_at))
        # The totals recalc() keeps: sums of the lines' rounded totals.
        order.amount = sum((line.total for line in lines), Decimal(0))
        order.cost = sum((line.total_cost for line in lines), Decimal(0))
        self.orders.append(order)
        self.lines.extend(lines)
        self.fulfil(order, lines, big)
        return order

    def fulfil(self, order, lines, big):
        """Planned shipments and the invoice, then whatever actually happened up to today."""
        rng, today, age = self.rng, self.today, (self.today - order.date).days
        if age <= 4 and rng.random() < 0.3:
            order.state = Order.State.DRAFT
            return
        failed = age > 10 and rng.random() < 0.04
        ship_day = self.work_day(order.date + dt.timedelta(days=rng.randint(2, 18)))
        due = self.work_day(order.date + dt.timedelta(days=rng.choice([5, 10, 14, 20, 30] if big else [3, 5, 7, 10])))
        invoice = f"{order.date:%y%m}-{len(self.orders):05d}"
        self.payments.append(self.child(Payment, order, kind=PlanFact.PLANNED, date=due, amount=order.amount,
                                        invoice_number=invoice))
        for line in lines:
            self.shipments.append(self.child(Shipment, order, line=line, kind=PlanFact.PLANNED, date=ship_day,
                                             quantity=line.quantity))
        if failed:
            order.state = Order.State.FAILED
            order.failure_reason = rng.choice(self.failure_reasons)
            order.failure_comment = rng.choice(FAILURE_COMMENTS)
            return
        order.unshipped = []  # (line, quantity) still to ship
        for line in lines:
            actual = self.work_day(ship_day + dt.timedelta(days=rng.choice([-1, 0, 0, 0, 1, 2, 3, 7])))
            parts = [line.quantity]
            if line.quantity > 1 and rng.random() < 0.2:  # part now, the rest later
                first = Decimal(rng.randint(1, int(line.quantity) - 1))
                parts = [first, line.quantity - first]
            for i, quantity in enumerate(parts):
                day = actual + dt.timedelta(days=14 * i)
                if day > today:
                    order.unshipped.append((line, sum(parts[i:])))
                    break
                self.shipments.append(self.child(Shipment, order, line=line, kind=PlanFact.ACTUAL, date=day,
                                                 quantity=quantity))
        order.paid = self.pay(order, due, invoice)
        if not order.unshipped and order.paid >= order.amount:
            order.state = Order.State.COMPLETED

    def pay(self, order, due, invoice):
        """Actual payments against the invoice: on time, late, in two parts, or owed."""
        rng, today = self.rng, self.today
        roll = rng.random()
        if roll < 0.07:  # a debtor: half paid, or nothing yet
            parts = [(order.amount / 2).quantize(CENT)] if rng.random() < 0.6 else []
            delays = [rng.randint(0, 10)]
        elif roll < 0.22:  # two instalments
            first = (order.amount * Decimal(rng.choice(["0.3", "0.5", "0.7"]))).quantize(CENT)
            parts, delays = [first, order.amount - first], [rng.randint(-6, 0), rng.randint(5, 25)]
        else:
            parts, delays = [order.amount], [rng.choice([-3, -2, -1, 0, 0, 1, 2, 5, 12])]
        paid = Decimal(0)
        for amount, delay in zip(parts, delays, strict=False):
            day = self.work_day(max(order.date, due + dt.timedelta(days=delay)))
            if day > today:
                break
            self.payments.append(self.child(Payment, order, kind=PlanFact.ACTUAL, date=day, amount=amount,
                                            invoice_number=invoice))
            paid += amount
        return paid

    def child(self, model, order, **fields):
        return model(order=order, created_at=order.created_at, updated_at=order.created_at, **fields)

    def all_orders(self):
        """Orders on working days over ``MONTHS`` months: seasons, growth, and a few a day."""
        rng = self.rng
        month = self.start
        while month <= self.today:
            following = self.month_start(month, 1)
            years = (month - self.start).days / 365
            count = round(ORDERS_PER_MONTH * SEASON[month.month] * (1 + GROWTH_PER_YEAR * years))
            days = [month + dt.timedelta(days=i) for i in range((following - month).days)]
            days = [d for d in days if d.weekday() < 5 and d <= self.today]
            if month == self.month_start(self.today):  # the month so far
                count = round(count * len(days) / 21)
            for _ in range(count if days else 0):
                self.order(rng.choice(days), self.client())
            month = following
        self.today_activity()

    def today_activity(self):
        """Something shipped and paid today, so the dashboard's "today" is not empty on first start."""
        recent = [o for o in self.orders[-80:] if o.state == Order.State.CONFIRMED and o.date < self.today]
        for order in [o for o in recent if o.unshipped][-3:]:
            line, quantity = order.unshipped.pop(0)
            self.shipments.append(self.child(Shipment, order, line=line, kind=PlanFact.ACTUAL, date=self.today,
                                             quantity=quantity, comment="Самовывоз"))
        for order in [o for o in recent if o.paid < o.amount][-3:]:
            amount = min((order.amount / 2).quantize(CENT), order.amount - order.paid)
            self.payments.append(self.child(Payment, order, kind=PlanFact.ACTUAL, date=self.today, amount=amount))
            order.paid += amount
        for order in recent:
            if not order.unshipped and order.paid >= order.amount:
                order.state = Order.State.COMPLETED

    def number_orders(self):
        """Numbers per year in date order: 2024-0001, 2024-0002, …"""
        self.orders.sort(key=lambda o: (o.date, o.created_at))
        for year, orders in itertools.groupby(self.orders, key=lambda o: o.date.year):
            for n, order in enumerate(orders, start=1):
                order.number = f"{year}-{n:04d}"


def ensure_stage_rules(pipeline):
    """The demo stage rules on ``pipeline``'s open stages; a rule already there (by stage and task,
    trashed ones included: the administrator's choice stands) is left alone. Returns how many were added."""
    open_stages = list(pipeline.stages.filter(kind=Stage.Kind.OPEN).order_by("order", "pk"))
    added = 0
    for index, title, description, amount, unit, role in STAGE_RULES:
        if index >= len(open_stages) or StageRule.all_objects.filter(stage=open_stages[index], title=title).exists():
            continue
        kind = StageRule.AssigneeKind.ROLE if role else StageRule.AssigneeKind.RESPONSIBLE
        StageRule.objects.create(stage=open_stages[index], title=title, description=description, assignee_kind=kind,
                                 role=role, deadline_amount=amount, deadline_unit=unit)
        added += 1
    return added


def demo_exists():
    return Deal.history.filter(history_change_reason=REASON).exists()


def demo_clients(managers, big_group=""):
    """Buyers with a demo manager (user names), in a fixed order (tax id), with their group's name;
    ``big`` marks those of ``big_group`` (the chains: larger orders)."""
    managers = get_user_model().objects.filter(username__in=managers)
    clients = list(Counterparty.objects.filter(is_client=True, main_manager__in=managers)
                   .select_related("group").order_by("tax_id", "name"))
    for cp in clients:
        cp.group_name = cp.group.name if cp.group else ""
        cp.big = bool(big_group) and cp.group_name == big_group
    return clients


def load(stdout=None, now=None, *, managers, big_group=""):
    """Add the demo deals and orders of the demo ``managers`` (user names) unless they are there;
    returns the counts created (dict). Clients of ``big_group`` buy more."""
    def say(text):
        if stdout:
            stdout.write(text)

    pipeline = Pipeline.ensure_default()
    if pipeline is not None and (added := ensure_stage_rules(pipeline)):
        say(f"Demo stage rules: {added}.")
    catalogue, created = ensure_catalogue()
    if created:
        say(f"Demo product catalogue: {created} products.")
    if demo_exists():
        say("Demo deals and orders are already loaded.")
        return {}
    clients = demo_clients(managers, big_group)
    if not clients or pipeline is None:
        say("Demo clients are missing: no deals or orders loaded.")
        return {}
    stages = list(pipeline.stages.order_by("order", "pk"))
    lost_reasons = list(LostReason.objects.order_by("order", "pk"))
    if not {Stage.Kind.WON, Stage.Kind.LOST} <= {s.kind for s in stages} or not lost_reasons:
        say("The default pipeline has no won or lost stage: no demo deals loaded.")
        return {}
    with transaction.atomic():
        builder = Builder(clients, stages, lost_reasons, default_failure_reasons(), now or timezone.now())
        builder.catalogue = catalogue
        builder.all_deals()
        builder.all_orders()
        builder.number_orders()
        admin = get_user_model().objects.filter(username="admin").first()
        with own_timestamps(Deal, DealLine, Order, OrderLine, Shipment, Payment):
            bulk_create_with_history(builder.deals, Deal, batch_size=500, default_user=admin,
                                     default_change_reason=REASON)
            for model, rows in [(DealLine, builder.deal_lines), (StageChange, builder.changes),
                                (Order, builder.orders), (OrderLine, builder.lines),
                                (Shipment, builder.shipments), (Payment, builder.payments)]:
                model.objects.bulk_create(rows, batch_size=1000)
        if builder.deals:  # the maintained aggregates, set-based (recomputing is idempotent)
            first = min(d.pk for d in builder.deals)
            refresh_furthest_stage(Deal.all_objects.filter(pk__gte=first))
            refresh_furthest_before(StageChange.objects.filter(deal_id__gte=first))
    counts = {"deals": len(builder.deals), "orders": len(builder.orders), "shipments": len(builder.shipments),
              "payments": len(builder.payments)}
    say("Demo sales: {deals} deals, {orders} orders, {shipments} shipments, {payments} payments.".format(**counts))
    return counts


def register():
    """``manage.py load_demo``: deals at every stage and two years of orders, after the clients."""
    from core import registry
    from core.management.commands.load_demo import DemoLoader

    def load_into(context):
        load(stdout=context.stdout, managers=context.shared.get("managers", ()),
             big_group=context.shared.get("big_buyers_group", ""))

    registry.demo_loaders.register("sales", DemoLoader(load_into, label="sales"), order=30)
