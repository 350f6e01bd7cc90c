"""Order histories, sales plans and two computed analysis runs for the demo «Лидер» (``load_demo``).

The sales demo's random orders already give every ABC class, every stage, Z clients and most
risks. What chance cannot promise is scripted here on a few of the demo managers' clients, picked
in tax-id order among those the sales demo left quiet (no actual shipment for 14 months, or none
ever): steady monthly buyers (X), seasonal ones (Y), purchases that stopped at a usual interval
(overdue), a halving of sales on a year ago (sales drop), a last purchase that crosses the lost
line between the two runs (stage drop), a big purchase that leaves the ABC period (class drop),
new one-time buyers, and two shipments in EUR (left out of the RUB analysis). Then a sales plan
per demo manager for this month and the last, a head's override, and the runs: one a month ago
and today's, so the arrows and drops have something to compare with. Dates are relative to the
day of loading; bulk inserts, no per-client queries beyond the few scripted clients.
"""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from clients.models import Counterparty
from core.bulk import own_timestamps
from core.dashboard import month_start
from sales.models import Order, OrderLine, Payment, PlanFact, Shipment

from .models import ClassOverride, SalesPlan

REASON = "Демо-данные"  # history change reason of the demo plans (idempotency check)
CURRENCY = "RUB"
QUIET_MONTHS = 14  # a scripted client has had no actual shipment for this long (or never)
PER_SCENARIO = 3

# name, price (fixed contract prices), unit cost share
SERVICE = ("Сервисное обслуживание, месяц", 12_000, "0.45")
REFILL = ("Заправка хладагентом R404A", 7_500, "0.40")
FREEZER = ("Ларь морозильный 400 л", 38_000, "0.65")
SHOWCASE = ("Холодильная витрина «Илеть» 1,5 м", 92_000, "0.68")
CHAMBER = ("Камера холодильная сборная 3×2×2,2 м", 210_000, "0.62")
SPLIT = ("Сплит-система низкотемпературная 5 кВт", 265_000, "0.72")
MOUNTING = ("Монтаж холодильной камеры", 28_000, "0.40")
DELIVERY = ("Доставка по Москве и области", 4_500, "0.60")
IMPORTED = ("Компрессор Bitzer 4EES-6Y (поставка под заказ)", 2_900, "0.70")  # priced in EUR
# Freezers a seasonal (Y) client takes per calendar month: CV of the monthly sales 14–18 %.
SEASON = {1: 1, 2: 1, 3: 2, 4: 2, 5: 3, 6: 3, 7: 3, 8: 2, 9: 2, 10: 1, 11: 1, 12: 1}
OVERRIDE_REASON = ("Новая сеть: до конца года открывает ещё шесть магазинов, оснащение всех — за нами. "
                   "Держим в классе A, не дожидаясь оборотов.")


def work_day(day, step=-1):
    """``day`` or the nearest working day before it (after it with ``step=1``)."""
    while day.weekday() >= 5:
        day += dt.timedelta(days=step)
    return day


def previous_analysis_date(today):
    """The same day a month earlier (clamped): the ABC period then ends exactly a month earlier."""
    start = month_start(today, -1)
    last = month_start(today) - dt.timedelta(days=1)
    return start.replace(day=min(today.day, last.day))


class Builder:
    """Unsaved orders with their lines, shipments and payments; ``today`` fixes the loading day."""

    def __init__(self, now):
        self.now = now
        self.today = timezone.localdate(now)
        self.orders, self.lines, self.shipments, self.payments = [], [], [], []
        self.scripted = {}  # scenario → [client]

    def month_day(self, shift, day=15):
        """A working day near ``day`` of the month ``shift`` months from this one."""
        return work_day(month_start(self.today, shift).replace(day=day))

    def order(self, cp, shipped, items, currency=CURRENCY):
        """A completed order shipped (all lines) on ``shipped`` and paid a few days later."""
        ordered = work_day(shipped - dt.timedelta(days=3))
        created = timezone.make_aware(dt.datetime.combine(ordered, dt.time(10, 30)))
        order = Order(counterparty=cp, responsible_id=cp.main_manager_id, date=ordered, currency=currency,
                      state=Order.State.COMPLETED, comment="", created_at=created, updated_at=created)
        lines = []
        for (product, price, cost_share), quantity in items:
            price = Decimal(price)
            lines.append(OrderLine(order=order, product=product, quantity=Decimal(quantity), price=price,
                                   cost=(price * Decimal(cost_share)).quantize(Decimal("1")),
                                   created_at=created, updated_at=created))
        order.amount = sum((line.total for line in lines), Decimal(0))
        order.cost = sum((line.total_cost for line in lines), Decimal(0))
        for line in lines:
            for kind in (PlanFact.PLANNED, PlanFact.ACTUAL):
                self.shipments.append(Shipment(order=order, line=line, kind=kind, date=shipped,
                                               quantity=line.quantity, created_at=created, updated_at=created))
        paid = work_day(shipped + dt.timedelta(days=4), step=1)
        self.payments.append(Payment(order=order, kind=PlanFact.PLANNED, date=paid, amount=order.amount,
                                     created_at=created, updated_at=created))
        if paid <= self.today:
            self.payments.append(Payment(order=order, kind=PlanFact.ACTUAL, date=paid, amount=order.amount,
                                         created_at=created, updated_at=created))
        else:
            order.state = Order.State.CONFIRMED
        self.orders.append(order)
        self.lines.extend(lines)
        return order

    def monthly(self, cp, months, items_of):
        """An order shipped mid-month in each of ``months`` (shifts from this month), items by month."""
        for shift in months:
            shipped = self.month_day(shift, day=10 + cp.pk % 10)
            if shipped <= self.today:
                self.order(cp, shipped, items_of(shift, shipped))

    # Scenarios: each adds the history of one client --------------------------------------------
    def steady(self, cp, i):
        """X: the same service contract every month (refills alternate 2/3): CV ≈ 3 %."""
        self.monthly(cp, range(-23, 1), lambda shift, day: [(SERVICE, 10 + 4 * i), (REFILL, 2 + shift % 2)])

    def seasonal(self, cp, i):
        """Y: service plus freezers that follow the season (the same months every year)."""
        self.monthly(cp, range(-23, 1), lambda shift, day: [(SERVICE, 8 + 2 * i), (FREEZER, SEASON[day.month])])

    def falling(self, cp, i):
        """Sales drop: monthly buying that fell to 40 % half a year ago (a competitor came in)."""
        self.monthly(cp, range(-22, 0), lambda shift, day: [(SHOWCASE, 2), (SERVICE, 4 + i)] if shift < -6
                     else [(SHOWCASE, 1)])

    def overdue_days(self, i):
        """Every 30 days for ~11 months, the last 75–87 days ago: overdue at 1.5 × 30, not lost."""
        last = self.today - dt.timedelta(days=75 + 6 * i)
        return [work_day(last - dt.timedelta(days=30 * k)) for k in range(10, -1, -1)]

    def overdue(self, cp, days):
        for day in days:
            self.order(cp, day, [(SERVICE, 3), (REFILL, 1)])

    def dropping_out(self, cp, i):
        """Stage drop: buying every two months, the last purchase just over 180 days ago — regular
        a month ago, lost today."""
        last = work_day(self.today - dt.timedelta(days=183 + 5 * i))
        for back in (120, 60, 0):
            self.order(cp, work_day(last - dt.timedelta(days=back)), [(CHAMBER, 1), (MOUNTING, 1)])

    def left_period(self, cp, i):
        """Class drop: a big fit-out 13 months ago, nothing since: a class a month ago, none today."""
        self.order(cp, self.month_day(-20, day=8), [(SERVICE, 2), (REFILL, 2)])
        self.order(cp, self.month_day(-13, day=12 + i), [(CHAMBER, 2), (SPLIT, 2), (MOUNTING, 2)])

    def first_purchase(self, cp, i):
        """One-time: a new client's first order, some weeks ago."""
        self.order(cp, work_day(self.today - dt.timedelta(days=25 + 20 * i)), [(SHOWCASE, 3), (DELIVERY, 1)])

    def imported(self, cp):
        """Two orders in EUR: the RUB analysis leaves them out and counts them in its note."""
        for shift in (-8, -4):
            self.order(cp, self.month_day(shift, day=20), [(IMPORTED, 1)], currency="EUR")

    def number_orders(self):
        """Continue each year's numbering after the sales demo's: 2025-2101, 2025-2102, …"""
        self.orders.sort(key=lambda o: (o.date, o.created_at))
        last = {}
        for order in self.orders:
            year = order.date.year
            if year not in last:
                numbers = Order.all_objects.filter(number__startswith=f"{year}-").values_list("number", flat=True)
                last[year] = max((int(n.split("-", 1)[1]) for n in numbers if n.split("-", 1)[1].isdigit()),
                                 default=0)
            last[year] += 1
            order.number = f"{year}-{last[year]:04d}"

    def save(self):
        self.number_orders()
        with own_timestamps(Order, OrderLine, Shipment, Payment):
            for model, rows in [(Order, self.orders), (OrderLine, self.lines), (Shipment, self.shipments),
                                (Payment, self.payments)]:
                model.objects.bulk_create(rows, batch_size=1000)


def purchase_dates(cp):
    """The client's purchases so far (RUB, dated by the first actual shipment), as the engine counts."""
    return sorted(Order.objects.filter(counterparty=cp, currency=CURRENCY)
                  .exclude(state__in=[Order.State.DRAFT, Order.State.FAILED])
                  .annotate(first=Min("shipments__date", filter=Q(shipments__kind=PlanFact.ACTUAL,
                                                                   shipments__deleted_at__isnull=True)))
                  .filter(first__isnull=False).values_list("first", flat=True))


def overdue_holds(dates, today, factor=Decimal("1.5"), lost_days=180):
    """True if a client with these purchase dates is overdue at ``today`` (median as the engine)."""
    dates = sorted(dates)
    gaps = sorted((b - a).days for a, b in zip(dates, dates[1:], strict=False))
    if len(gaps) < 1:
        return False
    n = len(gaps)
    median = round((gaps[(n + 1) // 2 - 1] + gaps[(n + 2) // 2 - 1]) / 2)
    since = (today - dates[-1]).days
    return since <= lost_days and median > 0 and since > factor * median


def pick_clients(builder, managers):
    """Assign the scripted scenarios to quiet clients of the demo ``managers`` (in tax-id order)."""
    today = builder.today
    clients = list(Counterparty.objects.filter(is_client=True, main_manager__username__in=managers)
                   .annotate(last_shipped=Max("orders__shipments__date",
                                              filter=Q(orders__shipments__kind=PlanFact.ACTUAL)),
                             orders_count=Count("orders", distinct=True))
                   .order_by("tax_id", "name"))
    quiet_since = month_start(today, -QUIET_MONTHS)
    # Clients with an old history first: those who never bought stay potential as long as possible.
    quiet = sorted((c for c in clients if c.last_shipped is None or c.last_shipped < quiet_since),
                   key=lambda c: c.orders_count == 0)
    never = [c for c in quiet if c.orders_count == 0]
    used = set()

    def take(pool, count=PER_SCENARIO, accept=lambda cp, i: True):
        chosen = []
        for cp in pool:
            if len(chosen) == count:
                break
            if cp.pk not in used and accept(cp, len(chosen)):
                used.add(cp.pk)
                chosen.append(cp)
        return chosen

    scripted = builder.scripted
    scripted["steady"] = take(quiet)
    scripted["seasonal"] = take(quiet)
    scripted["falling"] = take(quiet)
    scripted["left_period"] = take(quiet)
    # Quiet for 14 months is also quiet since 220 days: the lost line is crossed by our purchases only.
    scripted["dropping_out"] = take(quiet)
    scripted["overdue"] = take(quiet, accept=lambda cp, i: overdue_holds(
        [*purchase_dates(cp), *builder.overdue_days(i)], today))
    scripted["one_time"] = take(never)
    return scripted


def build(builder):
    plays = {"steady": builder.steady, "seasonal": builder.seasonal, "falling": builder.falling,
             "left_period": builder.left_period, "dropping_out": builder.dropping_out,
             "one_time": builder.first_purchase}
    for scenario, clients in builder.scripted.items():
        for i, cp in enumerate(clients):
            if scenario == "overdue":
                builder.overdue(cp, builder.overdue_days(i))
            else:
                plays[scenario](cp, i)
    if builder.scripted["steady"]:
        builder.imported(builder.scripted["steady"][0])


def sales_plans(managers, today, head):
    """This month's and last month's plan per demo manager: the same month a year ago + 15 %."""
    users = list(get_user_model().objects.filter(username__in=managers).order_by("username"))
    plans = []
    for shift in (-1, 0):
        month = month_start(today, shift)
        year_ago = (month_start(today, shift - 12), month_start(today, shift - 11))
        actual = dict(Shipment.objects.filter(
            kind=PlanFact.ACTUAL, date__gte=year_ago[0], date__lt=year_ago[1], order__currency=CURRENCY,
            order__state__in=[Order.State.CONFIRMED, Order.State.COMPLETED], order__responsible__in=users)
            .values_list("order__responsible").annotate(total=Sum(F("quantity") * F("line__price"))).order_by())
        for i, user in enumerate(users):
            base = Decimal(actual.get(user.pk) or 3_000_000) * Decimal("1.15")
            plan = SalesPlan(manager=user, month=month, revenue=max(base.quantize(Decimal("1E5")), Decimal(500_000)),
                             currency=CURRENCY, new_clients=2 + i, contacts=40 + 5 * i)
            plan._history_user = head
            plans.append(plan)
    return plans


def demo_exists():
    return SalesPlan.history.filter(history_change_reason=REASON).exists()


def load(stdout=None, now=None, *, managers):
    """Add the scripted histories, plans, an override and compute two runs, unless already done;
    returns the counts created (dict)."""
    from .services import runs

    def say(text):
        if stdout:
            stdout.write(text)

    if demo_exists():
        say("Demo analysis is already loaded.")
        return {}
    users = {u.username: u for u in get_user_model().objects.filter(username__in=[*managers, "head", "admin"])}
    if not managers or not set(managers) <= set(users) or not Order.objects.exists():
        say("Demo clients or orders are missing: no analysis loaded.")
        return {}
    builder = Builder(now or timezone.now())
    head = users.get("head")
    with transaction.atomic():
        pick_clients(builder, managers)
        build(builder)
        builder.save()
        bulk_create_with_history(sales_plans(managers, builder.today, head), SalesPlan,
                                 default_user=head, default_change_reason=REASON)
        target = (builder.scripted["one_time"] or builder.scripted["falling"] or [None])[0]
        if target is not None:
            override = ClassOverride(counterparty=target, abc="A", reason=OVERRIDE_REASON, set_by=head)
            bulk_create_with_history([override], ClassOverride, default_user=head, default_change_reason=REASON)
    # A month ago first, then today: today's run compares with it (arrows, drops).
    runs.run_now(users.get("admin"), analysis_date=previous_analysis_date(builder.today))
    run = runs.run_now(users.get("admin"), analysis_date=builder.today)
    counts = {"clients": sum(len(c) for c in builder.scripted.values()), "orders": len(builder.orders),
              "shipments": len(builder.shipments), "risks": run.risks.count()}
    say("Demo analysis: {orders} orders for {clients} scripted clients, two runs computed "
        "({risks} risk flags today).".format(**counts))
    return counts


def register():
    """``manage.py load_demo``: after the sales demo (its orders are the base of the analysis)."""
    from core import registry
    from core.management.commands.load_demo import DemoLoader

    def load_into(context):
        load(stdout=context.stdout, managers=context.shared.get("managers", ()))

    registry.demo_loaders.register("analytics", DemoLoader(load_into, label="analytics"), order=40)
