"""Bench deals and orders for ``manage.py bench`` (set-based inserts, no history rows).

Deals and orders go to the bench clients (the bench group), so that the board, lists, the
dashboard and reports are measured on a base of the asked size. Deleting them comes first in
``delete_bench``: the database has plain foreign keys, not ON DELETE CASCADE.
"""

import datetime as dt
import random
from decimal import Decimal

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from clients.models import Counterparty
from core import registry
from core.management.commands.bench import AGGREGATE, BenchCase

from . import sale_days
from .models import (
    Deal,
    DealLine,
    DealRuleRun,
    Document,
    Order,
    OrderLine,
    Payment,
    Pipeline,
    PlanFact,
    SaleDay,
    Shipment,
    StageChange,
)
from .services.aggregates import expected_furthest

PRODUCTS = [("Окно ПВХ двухстворчатое", 18_500, 11_200), ("Дверь межкомнатная", 9_800, 6_100),
            ("Шкаф-купе", 42_000, 27_500), ("Монтаж окна", 3_500, 1_200), ("Подоконник", 2_400, 1_300)]
CENTS = Decimal("0.01")


def generate(group, managers, *, deals_per_client, orders_per_client, lines_per_order=4, batch=5000, progress=None,
             seed=4):
    """Deals (with a line and their stage log) and orders (``lines_per_order`` lines, each shipped,
    and a payment)."""
    rng = random.Random(seed)
    pipeline = Pipeline.ensure_default()
    stages = list(pipeline.stages.order_by("order", "pk"))
    today = timezone.localdate()
    now = timezone.now()
    ids = list(Counterparty.all_objects.filter(group=group).values_list("pk", "main_manager_id"))
    fallback = managers[0].pk
    n_deals, n_orders = int(len(ids) * deals_per_client), int(len(ids) * orders_per_client)
    for start in range(0, n_deals, batch):
        with transaction.atomic():
            _deals(rng, ids, stages, fallback, today, now, min(batch, n_deals - start))
        if progress:
            progress("deals", min(start + batch, n_deals), n_deals)
    for start in range(0, n_orders, batch):
        with transaction.atomic():
            _orders(rng, ids, fallback, today, min(batch, n_orders - start), lines_per_order)
        if progress:
            progress("orders", min(start + batch, n_orders), n_orders)


def _deals(rng, ids, stages, fallback, today, now, count):
    deals = []
    for _ in range(count):
        cp, manager = rng.choice(ids)
        stage = rng.choice(stages)
        product, price, _cost = rng.choice(PRODUCTS)
        deals.append(Deal(
            counterparty_id=cp, responsible_id=manager or fallback, stage=stage, title=f"{product} (bench)",
            amount=Decimal(price * rng.randint(1, 20)), probability=stage.probability,
            expected_close_date=today + dt.timedelta(days=rng.randint(-30, 180)),
            closed_at=now if stage.is_closed else None,
            furthest_stage=expected_furthest(stage, []),  # its one stage change is to its stage
        ))
    Deal.objects.bulk_create(deals, batch_size=1000)
    DealLine.objects.bulk_create([DealLine(deal=d, product=d.title, quantity=1, price=d.amount) for d in deals],
                                 batch_size=1000)
    StageChange.objects.bulk_create([
        StageChange(deal=d, from_stage=None, to_stage=d.stage, moved_by_id=d.responsible_id,
                    moved_at=now - dt.timedelta(days=rng.randint(0, 365))) for d in deals], batch_size=1000)


def _orders(rng, ids, fallback, today, count, lines_per_order):
    orders, lines = [], []
    for _ in range(count):
        cp, manager = rng.choice(ids)
        # Failed orders need a failure reason: the bench leaves them out.
        state = rng.choices([Order.State.DRAFT, Order.State.CONFIRMED, Order.State.COMPLETED], [1, 4, 15])[0]
        order = Order(counterparty_id=cp, responsible_id=manager or fallback, state=state,
                      date=today - dt.timedelta(days=rng.randint(0, 730)))
        orders.append(order)
        picked = rng.sample(PRODUCTS, min(lines_per_order, len(PRODUCTS)))
        order.amount = order.cost = Decimal(0)
        for product, price, cost in picked:
            qty = Decimal(rng.randint(1, 10))
            lines.append(OrderLine(order=order, product=product, quantity=qty, price=Decimal(price),
                                   cost=Decimal(cost)))
            order.amount += qty * price
            order.cost += qty * cost
    Order.objects.bulk_create(orders, batch_size=1000)
    for line in lines:
        line.order_id = line.order.pk
    OrderLine.objects.bulk_create(lines, batch_size=1000)
    # Every line shipped (actual for completed orders, planned for the others), an order paid once.
    shipments = []
    for line in lines:
        order = line.order
        kind = PlanFact.ACTUAL if order.state == Order.State.COMPLETED else PlanFact.PLANNED
        shipments.append(Shipment(order=order, line=line, kind=kind, quantity=line.quantity,
                                  date=order.date + dt.timedelta(days=rng.randint(1, 20))))
    payments = [Payment(order=order, kind=PlanFact.ACTUAL if order.state == Order.State.COMPLETED
                        else PlanFact.PLANNED, amount=order.amount.quantize(CENTS),
                        date=order.date + dt.timedelta(days=rng.randint(1, 30))) for order in orders]
    with sale_days.bulk() as refresh:
        Shipment.objects.bulk_create(shipments, batch_size=1000)
        refresh(f"SELECT id FROM {Order._meta.db_table} WHERE id >= %s AND id <= %s",  # noqa: S608
                [orders[0].pk, orders[-1].pk])
    Payment.objects.bulk_create(payments, batch_size=1000)


def delete(group):
    """Remove the bench clients' sales rows with set-based statements, children first."""
    if group is None:
        return
    cp_ids = f"SELECT id FROM {Counterparty._meta.db_table} WHERE group_id = %s"  # noqa: S608
    order_ids = f"SELECT id FROM {Order._meta.db_table} WHERE counterparty_id IN ({cp_ids})"  # noqa: S608
    deal_ids = f"SELECT id FROM {Deal._meta.db_table} WHERE counterparty_id IN ({cp_ids})"  # noqa: S608
    statements = [(m, "order_id", order_ids) for m in (SaleDay, Shipment, Payment, OrderLine)]
    statements += [(m, "deal_id", deal_ids) for m in (StageChange, DealLine, DealRuleRun)]
    statements += [(m, "counterparty_id", cp_ids) for m in (Document, Order, Deal)]
    # The sale days go first, so the shipments' triggers have nothing to recompute.
    with transaction.atomic(), sale_days.bulk(), connection.cursor() as cursor:
        for model, column, subquery in statements:
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE {column} IN ({subquery})",  # noqa: S608
                           [group.pk])



# --- The sales part of manage.py bench (core.management.commands.bench) --------------------------

ARGUMENTS = (
    (("--deals-per-client",), {"type": float, "default": 0.2, "help": "Bench deals per bench client (0.2)."}),
    (("--orders-per-client",), {"type": float, "default": 0.5, "help": "Bench orders per bench client (0.5)."}),
    (("--lines-per-order",), {"type": int, "default": 4,
                              "help": "Lines of a bench order, each shipped (4: 2 000 000 at a million clients)."}),
)


def bench_generate(run, count, start):
    group = run.shared.get("group")  # the bench clients' group, from the clients' part
    if group is None or Deal.all_objects.filter(counterparty__group=group).exists():
        return
    run.stdout.write("Generating bench deals and orders …")
    generate(group, run.managers, deals_per_client=run.opts["deals_per_client"],
             orders_per_client=run.opts["orders_per_client"], lines_per_order=run.opts["lines_per_order"],
             batch=run.opts["batch"],
             progress=lambda what, done, total: run.stdout.write(f"  {done}/{total} {what}"))


def bench_cases(run):
    """Sales pages; the board's column totals (Σ), reports and the dashboard count by design.

    The 6th item is the p95 target in ms on PostgreSQL at a million clients (issue 14): 150 for the
    board, the dashboard and the reports (each on a year: the year forms' default, the last 12 months
    for the others), 50 for lists and cards.
    """
    admin, manager = run.admin, run.shared["manager"]
    order = (Order.objects.filter(counterparty__group=run.shared.get("group"), responsible=manager)
             .order_by("-pk").first())
    board = reverse("sales:board", args=[Pipeline.default().pk])
    reports = [("sales funnel", "sales:report_funnel"), ("forecast", "sales:report_forecast"),
               ("won / lost", "sales:report_won_lost"), ("order failures", "sales:report_order_failures"),
               ("interests", "sales:report_interests"), ("profitability", "sales:report_profitability")]
    cases = [
        (AGGREGATE + "deal board, manager", manager, board, {}, None, 150),
        (AGGREGATE + "deal board, admin", admin, board, {}, None, 150),
        ("deal list, manager", manager, reverse("sales:deal_list"), {}, None, 50),
        ("order list, manager", manager, reverse("sales:order_list"), {}, None, 50),
        ("deal list, page 1000", admin, reverse("sales:deal_list"), ("page", 1000), None, 50),
        ("order list, page 1000", admin, reverse("sales:order_list"), ("page", 1000), None, 50),
        ("order analysis, manager", manager, reverse("sales:order_analysis"), {}, None, 50),
        (AGGREGATE + "dashboard, admin", admin, reverse("dashboard"), {}, None, 150),
    ]
    for title, name in reports:
        for label, user in (("admin", admin), ("manager", manager)):
            cases.append((f"{AGGREGATE}{title}, {label}", user, reverse(name), {}, None, 150))
    if order is not None:
        cases.append(("order card", manager, order.get_absolute_url(), {}, None, 50))
    return cases


def bench_delete(run):
    delete(run.shared.get("group"))


def register():
    registry.bench_cases.register("sales", BenchCase(
        arguments=ARGUMENTS, generate=bench_generate, cases=bench_cases, delete=bench_delete), order=30)
