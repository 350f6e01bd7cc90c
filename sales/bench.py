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
from core import rollups as core_rollups
from core.management.commands.bench import AGGREGATE, BenchCase, temp_table

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
    SaleDay,
    Shipment,
    StageChange,
    default_currency,
)
from .rollups import (
    CLIENT_DAYS,
    DEAL_DAYS,
    DEAL_TOTALS,
    MOVE_DAYS,
    PAYMENT_DAYS,
    PRODUCT_DAYS,
    PROFIT_DAYS,
    REVENUE_DAYS,
)
from .services.aggregates import expected_furthest

ORDER_ROLLUPS = (REVENUE_DAYS, PAYMENT_DAYS, PROFIT_DAYS, CLIENT_DAYS, PRODUCT_DAYS)
DEAL_ROLLUPS = (DEAL_TOTALS, DEAL_DAYS, MOVE_DAYS)

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
    # Each kind once (a --reuse run tops up neither: they are spread over all the clients).
    n_deals = 0 if Deal.all_objects.filter(counterparty__group=group).exists() else int(len(ids) * deals_per_client)
    n_orders = (0 if Order.all_objects.filter(counterparty__group=group, comment="").exists()
                else int(len(ids) * orders_per_client))
    for start in core_rollups.suspended(range(0, n_deals, batch), *DEAL_ROLLUPS):
        with transaction.atomic():
            _deals(rng, ids, stages, fallback, today, now, min(batch, n_deals - start))
        if progress:
            progress("deals", min(start + batch, n_deals), n_deals)
    if n_orders:
        _orders(group, fallback, n_orders, lines_per_order, today, now, progress)


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


ORDER_STEP = 50_000  # orders per statement
SHIP_DAYS = 20  # a line ships 1–20 days after its order


def _orders(group, fallback, count, lines_per_order, today, now, progress=None):
    """``count`` orders of ``lines_per_order`` lines (different products), each line shipped
    (actual for completed orders, planned for the others) and the order paid once — all with
    INSERT … SELECT: a pseudo-random client, state, date and products from the order's number."""
    qn = connection.ops.quote_name
    order, line, shipment, payment = (qn(m._meta.db_table) for m in (Order, OrderLine, Shipment, Payment))
    adapt = connection.ops.adapt_datetimefield_value
    stamp = adapt(now)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sales_bench_client")
        cursor.execute(f"""CREATE TEMP TABLE sales_bench_client AS
            SELECT ROW_NUMBER() OVER (ORDER BY id) - 1 AS rn, id, COALESCE(main_manager_id, %s) AS manager
            FROM {qn(Counterparty._meta.db_table)} WHERE group_id = %s""", [fallback, group.pk])  # noqa: S608
        cursor.execute("CREATE INDEX sales_bench_client_rn ON sales_bench_client (rn)")
        cursor.execute("SELECT COUNT(*) FROM sales_bench_client")
        (clients,) = cursor.fetchone()
        temp_table(cursor, "sales_bench_day", "n INTEGER, d DATE",
                   [(n, today - dt.timedelta(days=n)) for n in range(-SHIP_DAYS, 731)])
        cursor.execute("CREATE INDEX sales_bench_day_d ON sales_bench_day (d)")
        cursor.execute("CREATE INDEX sales_bench_day_n ON sales_bench_day (n)")
        temp_table(cursor, "sales_bench_product", "j INTEGER, product VARCHAR(200), price INTEGER, cost INTEGER",
                   [(j, *p) for j, p in enumerate(PRODUCTS)])
        temp_table(cursor, "sales_bench_slot", "k INTEGER", [(k,) for k in range(min(lines_per_order, len(PRODUCTS)))])
        # The day rollups read the sale days the batches refresh: on SQLite, rebuilt once at the end.
        for first in core_rollups.suspended(range(0, count, ORDER_STEP), *ORDER_ROLLUPS):
            last = min(first + ORDER_STEP, count)
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {order}")  # noqa: S608
            (before,) = cursor.fetchone()
            with transaction.atomic(), sale_days.bulk() as refresh:
                # Draft : confirmed : completed = 1 : 4 : 15, as people leave them.
                cursor.execute(f"""
                    WITH RECURSIVE seq(i) AS (SELECT CAST(%s AS BIGINT)
                                              UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < %s)
                    INSERT INTO {order} (created_at, updated_at, version, number, date, counterparty_id,
                                         responsible_id, currency, state, failure_comment, comment, amount, cost)
                    SELECT %s, %s, 1, '', d.d, c.id, c.manager, %s,
                           CASE WHEN seq.i %% 20 = 0 THEN 'draft' WHEN seq.i %% 20 < 5 THEN 'confirmed'
                                ELSE 'completed' END, '', '', 0, 0
                    FROM seq JOIN sales_bench_client c ON c.rn = (seq.i * 7919) %% %s
                    JOIN sales_bench_day d ON d.n = (seq.i * 104729) %% 731""",  # noqa: S608
                               [first, last, stamp, stamp, default_currency(), clients])
                cursor.execute(f"""
                    INSERT INTO {line} (created_at, updated_at, version, order_id, product, quantity, price, cost)
                    SELECT %s, %s, 1, o.id, p.product, 1 + (o.id * 7 + s.k) %% 10, p.price, p.cost
                    FROM {order} o CROSS JOIN sales_bench_slot s
                    JOIN sales_bench_product p ON p.j = (o.id + s.k) %% {len(PRODUCTS)}
                    WHERE o.id > %s""", [stamp, stamp, before])  # noqa: S608
                cursor.execute(f"""
                    INSERT INTO {shipment} (created_at, updated_at, version, order_id, line_id, kind, date, quantity,
                                            comment)
                    SELECT %s, %s, 1, o.id, l.id, CASE WHEN o.state = 'completed' THEN 'actual' ELSE 'planned' END,
                           sd.d, l.quantity, ''
                    FROM {line} l JOIN {order} o ON o.id = l.order_id
                    JOIN sales_bench_day od ON od.d = o.date
                    JOIN sales_bench_day sd ON sd.n = od.n - 1 - l.id %% {SHIP_DAYS}
                    WHERE o.id > %s""", [stamp, stamp, before])  # noqa: S608
                refresh(f"SELECT id FROM {order} WHERE id > %s", [before])  # noqa: S608
                cursor.execute(f"""
                    UPDATE {order} SET
                        amount = (SELECT SUM(x.quantity * x.price) FROM {line} x WHERE x.order_id = {order}.id),
                        cost = (SELECT SUM(x.quantity * x.cost) FROM {line} x WHERE x.order_id = {order}.id)
                    WHERE id > %s""", [before])  # noqa: S608
                cursor.execute(f"""
                    INSERT INTO {payment} (created_at, updated_at, version, order_id, kind, date, amount,
                                           invoice_number, comment)
                    SELECT %s, %s, 1, o.id, CASE WHEN o.state = 'completed' THEN 'actual' ELSE 'planned' END,
                           sd.d, o.amount, '', ''
                    FROM {order} o JOIN sales_bench_day od ON od.d = o.date
                    JOIN sales_bench_day sd ON sd.n = od.n - 1 - o.id %% {SHIP_DAYS}
                    WHERE o.id > %s""", [stamp, stamp, before])  # noqa: S608
            if progress:
                progress("orders", last, count)
        for name in ("sales_bench_client", "sales_bench_day", "sales_bench_product", "sales_bench_slot"):
            cursor.execute(f"DROP TABLE {name}")



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
    with (transaction.atomic(), sale_days.bulk(),
          core_rollups.bulk(*DEAL_ROLLUPS, *ORDER_ROLLUPS),
          connection.cursor() as cursor):
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
    if group is None:
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
