"""The analytics part of ``manage.py bench`` (core.management.commands.bench).

On the bench clients (clients' part) it adds completed orders whose lines are shipped, so that a
full analysis run (ABC + stages + XYZ + early warning) works on ~10 actual shipment lines per
client — 1 000 000 at 100 000 clients, the issue's target — then times that run and the pages
that read the stored run: the ABC and XYZ / stages reports and the client list filtered by class.
Rows go in with INSERT … SELECT over the bench clients (nothing loaded into Python); the sales
part's delete removes them with the other bench orders.
"""

import datetime as dt
import math
import resource
import statistics
import time

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from clients.models import Counterparty
from core import registry, rollups
from core.management.commands.bench import AGGREGATE, BenchCase, temp_table
from sales import sale_days
from sales.models import Order, OrderLine, Shipment
from sales.rollups import CLIENT_DAYS, PRODUCT_DAYS, PROFIT_DAYS, REVENUE_DAYS

from .models import AnalysisRun, Classification, ClientAnalysis, RiskFlag

MARK = "bench: analytics"  # the comment of the orders added here
DAYS = 730  # order dates over the last two years
LINES_PER_ORDER = 2
# name, price, unit cost: a line's product depends on the order id (varied revenue per client)
PRODUCTS = [("Холодильная витрина 1,5 м", 92_000, 62_500), ("Ларь морозильный 400 л", 38_000, 24_700),
            ("Шкаф холодильный 700 л", 68_000, 44_900), ("Сервисное обслуживание, месяц", 12_000, 5_400),
            ("Заправка хладагентом", 7_500, 3_000), ("Монтаж оборудования", 9_500, 3_300),
            ("Моноблок 3 кВт", 112_000, 78_400), ("Доставка", 4_500, 2_700)]

ARGUMENTS = (
    (("--shipments-per-client",), {
        "type": float, "default": 10.0,
        "help": "Actual shipment lines per bench client for the analysis run (10: 1 000 000 at 100 000)."}),
    (("--analysis-runs",), {"type": int, "default": 3,
                            "help": "Full analysis runs timed (3; 0: none if a run is stored)."}),
)


def table(model):
    return connection.ops.quote_name(model._meta.db_table)



def generate(group, fallback_manager, per_client, today=None):
    """Orders of ``LINES_PER_ORDER`` shipped lines for every bench client that has none of them yet;
    returns the number of orders added."""
    today = today or timezone.localdate()
    orders_per_client = max(1, math.ceil(per_client / LINES_PER_ORDER))
    now = timezone.now()
    cp, order, line, shipment = table(Counterparty), table(Order), table(OrderLine), table(Shipment)
    # SQLite: the order rollups rebuilt once, not upserted per line.
    with (transaction.atomic(), rollups.bulk(PROFIT_DAYS, CLIENT_DAYS, PRODUCT_DAYS),
          connection.cursor() as cursor):
        temp_table(cursor, "an_bench_day", "n INTEGER, d DATE",
                   [(n, today - dt.timedelta(days=n)) for n in range(DAYS)])
        slots = max(orders_per_client, LINES_PER_ORDER)
        temp_table(cursor, "an_bench_slot", "k INTEGER", [(k,) for k in range(1, slots + 1)])
        temp_table(cursor, "an_bench_product", "j INTEGER, product VARCHAR(200), price INTEGER, cost INTEGER",
                   [(j, *p) for j, p in enumerate(PRODUCTS)])
        # Dates scattered by a hash of (client, slot): every stage and XYZ class occurs.
        cursor.execute(f"""
            INSERT INTO {order} (created_at, updated_at, version, number, date, counterparty_id,
                                 responsible_id, currency, state, failure_comment, comment, amount, cost)
            SELECT %s, %s, 1, '', dd.d, c.id, COALESCE(c.main_manager_id, %s), %s, %s, '', %s, 0, 0
            FROM {cp} c
            JOIN an_bench_slot s ON s.k <= %s
            JOIN an_bench_day dd ON dd.n = (c.id * 7919 + s.k * 104729 + (c.id %% 7) * s.k * 61) %% {DAYS}
            WHERE c.group_id = %s
              AND NOT EXISTS (SELECT 1 FROM {order} x WHERE x.counterparty_id = c.id AND x.comment = %s)""",  # noqa: S608
                       [now, now, fallback_manager.pk, settings.KLIENTURA_CURRENCY, Order.State.COMPLETED,
                        MARK, orders_per_client, group.pk, MARK])
        added = cursor.rowcount
        cursor.execute(f"""
            INSERT INTO {line} (created_at, updated_at, version, order_id, product, quantity, price, cost)
            SELECT %s, %s, 1, o.id, p.product, 1 + (o.id + s.k) %% 4, p.price, p.cost
            FROM {order} o
            JOIN an_bench_slot s ON s.k <= %s
            JOIN an_bench_product p ON p.j = (o.id * 3 + s.k * 5) %% {len(PRODUCTS)}
            WHERE o.comment = %s AND NOT EXISTS (SELECT 1 FROM {line} x WHERE x.order_id = o.id)""",  # noqa: S608
                       [now, now, LINES_PER_ORDER, MARK])
        # SQLite: the sale days once, not per shipment line, and the revenue by day from them.
        with sale_days.bulk() as refresh, rollups.bulk(REVENUE_DAYS):
            cursor.execute(f"""
                INSERT INTO {shipment} (created_at, updated_at, version, order_id, line_id, kind, date, quantity,
                                        comment)
                SELECT %s, %s, 1, l.order_id, l.id, 'actual', o.date, l.quantity, ''
                FROM {line} l JOIN {order} o ON o.id = l.order_id
                WHERE o.comment = %s AND NOT EXISTS (SELECT 1 FROM {shipment} x WHERE x.line_id = l.id)""",  # noqa: S608
                           [now, now, MARK])
            refresh(f"SELECT id FROM {order} WHERE comment = %s", [MARK])  # noqa: S608
        cursor.execute(f"""
            UPDATE {order} SET
                amount = (SELECT SUM(x.quantity * x.price) FROM {line} x WHERE x.order_id = {order}.id),
                cost = (SELECT SUM(x.quantity * x.cost) FROM {line} x WHERE x.order_id = {order}.id)
            WHERE comment = %s AND amount = 0""", [MARK])  # noqa: S608
        for name in ("an_bench_day", "an_bench_slot", "an_bench_product"):
            cursor.execute(f"DROP TABLE {name}")
    return added


def actual_lines(group):
    return Shipment.objects.filter(kind="actual", order__counterparty__group=group).count()


def time_runs(user, repeat):
    """Seconds of each of ``repeat`` full runs (the last one stays the current run) and the growth
    of the process's peak memory, in MB, over them."""
    from .services import runs

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seconds = []
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        run = runs.run_now(user)
        seconds.append(time.perf_counter() - started)
        if run.status != AnalysisRun.Status.DONE:
            raise RuntimeError(f"analysis run {run.pk} {run.status}: {run.error}")
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak) / 1024  # KB on Linux
    return seconds, grown, run


def delete(group):
    """The bench's runs (started by bench users) and every derived row of the bench clients."""
    bench_runs = list(AnalysisRun.objects.filter(started_by__username__startswith="bench_")
                      .values_list("pk", flat=True))
    current = AnalysisRun.current()
    with transaction.atomic():
        if current is not None and current.pk in bench_runs:  # the classification mirrors a bench run
            Classification.objects.all()._raw_delete(Classification.objects.db)
        for model in (ClientAnalysis, RiskFlag):
            model.objects.filter(run__in=bench_runs)._raw_delete(model.objects.db)
        if group is not None:
            for model in (ClientAnalysis, RiskFlag, Classification):
                model.objects.filter(counterparty__group=group)._raw_delete(model.objects.db)
        AnalysisRun.objects.filter(pk__in=bench_runs).delete()


# --- Hooks ---------------------------------------------------------------------------------------

def bench_generate(run, count, start):
    group = run.shared.get("group")
    if group is None or not run.opts["shipments_per_client"]:
        return
    run.stdout.write("Generating bench orders shipped for the analysis …")
    started = time.monotonic()
    added = generate(group, run.managers[0], run.opts["shipments_per_client"])
    run.stdout.write(f"  {added} orders, {actual_lines(group)} actual shipment lines of bench clients "
                     f"({time.monotonic() - started:.1f} s)")


def bench_cases(run):
    """Time the full runs here (before the pages, which read the run), print them, list the pages.
    ``--analysis-runs 0`` times none when a run is stored (to time pages only)."""
    admin, manager = run.admin, run.shared["manager"]
    if run.opts["analysis_runs"] or not AnalysisRun.objects.filter(status=AnalysisRun.Status.DONE).exists():
        _time_and_print(run, admin)
    cases = []
    for slug, title in (("abc", "ABC report"), ("xyz-stages", "XYZ/stages")):
        if slug in registry.reports:  # the reports come with their own part of the issue
            url = reverse("report", args=[slug])
            cases += [(f"{AGGREGATE}{title}, admin", admin, url, {}, None),
                      (f"{AGGREGATE}{title}, manager", manager, url, {}, None)]
    from clients.filtersets import CounterpartyFilterSet

    listing = reverse("clients:counterparty_list")
    for name, value in (("abc", "A"), ("stage", "lost")):
        if name in CounterpartyFilterSet.base_filters:  # the client list's class filters
            cases += [(f"list: {name} {value}, admin", admin, listing, {name: value}, None),
                      (f"list: {name} {value}, manager", manager, listing, {name: value}, None)]
    return cases


def _time_and_print(run, admin):
    seconds, grown, current = time_runs(admin, run.opts["analysis_runs"])
    lines = sum(current.skipped.values()) if current.skipped else 0
    run.stdout.write(
        f"{'case':<28} {'median ms':>10} {'max ms':>8}\n"
        f"{'Σ analysis run (full)':<28} {statistics.median(seconds) * 1000:>10.1f} {max(seconds) * 1000:>8.1f}"
        f"  — {current.clients} clients, {Shipment.objects.filter(kind='actual').count()} actual shipment "
        f"lines ({lines} left out), {len(seconds)} runs, peak memory +{grown:.0f} MB")
    run.shared["analysis_seconds"] = seconds


def bench_delete(run):
    delete(run.shared.get("group"))


def summary(run):
    seconds = run.shared.get("analysis_seconds")
    return f"analysis run {statistics.median(seconds):.1f} s" if seconds else "no analysis run"


def register():
    registry.bench_cases.register("analytics", BenchCase(
        arguments=ARGUMENTS, generate=bench_generate, cases=bench_cases, delete=bench_delete, summary=summary),
        order=40)
