"""The analysis computation: ABC, relationship stages, XYZ and early warning (docs/analytics.md).

Set-based: the sales of the base are reduced to per-client figures in a few SQL statements over
temporary tables (``an_*``, private to the connection), then one INSERT … SELECT writes a row per
client and another the risk flags; nothing is loaded into Python. Money is summed in whole
cents (exact on SQLite's floating point too), so class boundaries such as "exactly 80 %" are
decided exactly. Each step commits on its own: the run's progress is visible while it works,
and its rows stay invisible (the run is not "done") until the last step publishes them.
"""

import contextlib
import datetime
from decimal import Decimal

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Max
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_noop

from activities.models import Interaction
from clients.models import Counterparty
from core.dashboard import local_midnight, month_start
from sales.models import Order, SaleDay

from ..models import AnalysisRun, AnalysisSettings, Classification, ClassOverride, ClientAnalysis, RiskFlag
from . import partitions

WORK_MEM = "64MB"
TEMP_TABLES = ["an_sale", "an_client", "an_median", "an_contact"]
LEFT_OUT_STATES = (Order.State.DRAFT, Order.State.FAILED)


def compute(run):
    """Compute ``run`` (queued) to the end: its rows, risk flags, and the current classification."""
    run = _claim(run)
    sql = Sql(run)
    try:
        _step(run, 5, gettext_noop("Collecting sales"), sql.collect)
        _step(run, 40, gettext_noop("Classifying clients"), sql.classify)
        _step(run, 75, gettext_noop("Looking for clients at risk"), sql.warn)
        _step(run, 90, gettext_noop("Publishing"), lambda: _publish(run, sql))
    except Exception as exc:
        _fail(run, exc)
        raise
    finally:
        sql.drop()
    _prune(run)
    sql.analyze()
    return run


def _claim(run):
    previous = (AnalysisRun.objects.filter(status=AnalysisRun.Status.DONE).exclude(pk=run.pk)
                .order_by("-finished_at", "-id").first())
    AnalysisRun.objects.filter(pk=run.pk).update(
        status=AnalysisRun.Status.RUNNING, started_at=timezone.now(), progress=1, previous=previous, error="")
    run.refresh_from_db()
    return run


def _step(run, progress, step, work):
    AnalysisRun.objects.filter(pk=run.pk).update(progress=progress, step=step)
    with transaction.atomic():  # its own transaction (a savepoint inside a caller's)
        work()


def _fail(run, exc):
    with transaction.atomic():
        _delete_rows([run.pk])
        AnalysisRun.objects.filter(pk=run.pk).update(status=AnalysisRun.Status.FAILED, error=str(exc)[:2000],
                                                     finished_at=timezone.now())


def _publish(run, sql):
    """Mirror the run into the current classification and mark it done (one transaction)."""
    # One publisher at a time: two runs ending together must not interleave their mirrors.
    AnalysisSettings.objects.select_for_update().filter(pk=AnalysisSettings.load().pk).exists()
    sql.publish()
    totals = sql.fetchone(f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN rank IS NOT NULL THEN measure END), 0) "
                          f"FROM {table(ClientAnalysis)} WHERE run_id = %s", [run.pk])
    sql.rows = totals[0]
    AnalysisRun.objects.filter(pk=run.pk).update(
        status=AnalysisRun.Status.DONE, progress=100, step="", finished_at=timezone.now(),
        clients=totals[0], total=Decimal(str(totals[1] or 0)).quantize(Decimal("0.01")), skipped=sql.skipped,
        counts=class_counts(run))


def class_counts(run):
    """Clients per effective ABC class, stage and XYZ class (one grouped query), and the clients
    at risk (the dashboard's tile reads it instead of counting the flags)."""
    counts = {"abc": {}, "stage": {}, "xyz": {}}
    grouped = (ClientAnalysis.objects.filter(run=run).values_list("abc_effective", "stage_effective", "xyz_effective")
               .order_by().annotate(n=Count("pk")))
    for abc, stage, xyz, n in grouped:
        for key, value in (("abc", abc), ("stage", stage), ("xyz", xyz)):
            counts[key][value] = counts[key].get(value, 0) + n
    counts["at_risk"] = RiskFlag.objects.filter(run=run).values("counterparty").distinct().count()
    return counts


def _prune(run):
    """Keep the newest ``keep_runs`` finished runs (and anything not finished): rows go set-based."""
    keep = int(run.params.get("keep_runs") or 0) or _keep_runs()
    done = AnalysisRun.objects.filter(status__in=[AnalysisRun.Status.DONE, AnalysisRun.Status.FAILED])
    old = list(done.order_by("-finished_at", "-id").values_list("pk", flat=True)[keep:])
    if not old:
        return
    with transaction.atomic():
        _delete_rows(old)
        AnalysisRun.objects.filter(pk__in=old).delete()


def _delete_rows(run_ids):
    """The runs' rows: their partitions dropped (PostgreSQL), then whatever else holds them."""
    if partitions.enabled():
        partitions.drop(run_ids)
    ClientAnalysis.objects.filter(run__in=run_ids)._raw_delete(ClientAnalysis.objects.db)
    RiskFlag.objects.filter(run__in=run_ids)._raw_delete(RiskFlag.objects.db)


def _keep_runs():
    return AnalysisSettings.load().keep_runs


def table(model):
    return connection.ops.quote_name(model._meta.db_table)


class Sql:
    """The statements of one run, with the few spellings that differ between SQLite and PostgreSQL."""

    def __init__(self, run):
        self.run = run
        self.pg = connection.vendor == "postgresql"
        self.skipped = {}  # {currency: shipment lines}, filled by collect()
        self.published = self.rows = 0  # Classification rows written or deleted, rows of the run
        self.true, self.false = ("TRUE", "FALSE") if self.pg else ("1", "0")
        p = run.params
        self.a, self.b = self.num(p["a_threshold"]), self.num(p["b_threshold"])
        self.x, self.y = self.num(p["x_threshold"]), self.num(p["y_threshold"])
        self.lost_days = int(p["lost_days"])
        self.no_contact_days = int(p["no_contact_days"])
        self.factor = self.num(p["interval_factor"])
        self.drop_pct = self.num(p["sales_drop_pct"])
        self.drop_months = int(p["sales_drop_months"])
        day = run.analysis_date
        self.xyz_from, self.xyz_to = month_start(day, -12), month_start(day) - datetime.timedelta(days=1)
        self.recent_from, self.recent_to = month_start(day, -self.drop_months), self.xyz_to
        self.ago_from = month_start(day, -self.drop_months - 12)
        self.ago_to = month_start(day, -12) - datetime.timedelta(days=1)

    # --- dialect -------------------------------------------------------------------------------

    def num(self, value):
        return float(value)

    def kopecks(self, expr):
        """A money expression in whole kopecks as a float: sums stay exact below 2⁵³ kopecks, and
        PostgreSQL adds floats many times faster than numerics."""
        return f"CAST(ROUND({expr} * 100) AS DOUBLE PRECISION)" if self.pg else f"ROUND({expr} * 100)"

    def fixed(self, expr, places):
        """A float expression as a decimal of ``places`` places for a numeric column. PostgreSQL
        casts a float to numeric through its text form; rounding to an integer first is ~2× faster
        (100 000 rows × 9 columns: −0.3 s)."""
        if not self.pg:
            return expr
        return f"(CAST(CAST(ROUND({expr} * 1e{places}) AS BIGINT) AS NUMERIC) * 1e-{places})"

    def money(self, kopecks):
        """Whole kopecks (a float) as a money amount."""
        return f"(CAST(CAST({kopecks} AS BIGINT) AS NUMERIC) * 0.01)" if self.pg else f"{kopecks} / 100.0"

    def date(self, value):
        return connection.ops.adapt_datefield_value(value)

    def days(self, later, earlier):
        """Whole days from ``earlier`` to ``later`` (date expressions)."""
        if self.pg:
            return f"({later} - {earlier})"
        return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"

    def month(self, column):
        return f"date_trunc('month', {column})" if self.pg else f"substr({column}, 1, 7)"

    def param_date(self):
        return "CAST(%s AS DATE)" if self.pg else "%s"

    def json(self, *pairs):
        func = "jsonb_build_object" if self.pg else "json_object"
        return f"{func}({', '.join(pairs)})"

    def execute(self, query, params=()):
        with connection.cursor() as cursor:
            cursor.execute(query, params)

    def fetchone(self, query, params=()):
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchone()

    def temp(self, name, query, params=(), index="cp"):
        """A temporary table from ``query``; per-client ones get a unique index for the final joins.

        No ANALYZE (autovacuum never sees temporary tables, and it cost 0.2 s a run): the planner
        counts the rows from the table's size and knows a key with a unique index is distinct."""
        self.execute(f"DROP TABLE IF EXISTS {name}")
        self.execute(f"CREATE TEMP TABLE {name} AS {query}", params)
        if index:
            self.execute(f"CREATE UNIQUE INDEX {name}_idx ON {name} ({index})")

    def analyze_if_unknown(self, *models):
        """ANALYZE the tables the planner takes for empty though they hold rows (statistics taken
        before a bulk load, or none at all): it would join them row by row, for minutes."""
        if not self.pg:
            return
        names = [table(m).strip('"') for m in models]
        with connection.cursor() as cursor:
            cursor.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relkind = 'r' "
                           "AND relpages > 0 AND reltuples <= 0", [names])
            for (name,) in cursor.fetchall():
                cursor.execute(f"ANALYZE {connection.ops.quote_name(name)}")

    def analyze(self):
        """Fresh planner statistics for the run's rows: the reports read them right away, before
        autovacuum would notice 100 000 new rows (a stale plan made the ABC page 0.8 s)."""
        if self.pg:
            for model, columns in ANALYZED.items():
                if model is Classification and self.published * 10 < self.rows:
                    continue  # autovacuum's threshold, for a few rows changed
                name = partitions.quote(partitions.partition_name(model, self.run.pk)) \
                    if model in partitions.PARTITIONED else table(model)
                self.execute(f"ANALYZE {name} ({', '.join(columns)})")

    def writer(self, model):
        """Where the run's rows of ``model`` go, with the id column and value to prepend: a
        partition of its own on PostgreSQL, attached when full (``written``)."""
        if self.pg:
            return partitions.create(model, self.run.pk), "id, ", f"{partitions.next_id(model)}, "
        return table(model), "", ""

    def written(self, model):
        if self.pg:
            partitions.attach(model, self.run.pk)

    def tune(self):
        """Sorts and hashes of a million rows in memory (PostgreSQL's default is 4 MB), this step only.

        The per-row cost of handing rows from parallel workers to the leader is lowered too: with
        the default PostgreSQL reads the million sales serially (1.6 s against 1.0 s on 2 cores).
        No JIT: compiling the wide statements of a run costs more than it saves (~0.1 s a run).
        """
        if self.pg:
            self.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            self.execute("SET LOCAL parallel_tuple_cost = 0.001")
            self.execute("SET LOCAL jit = off")

    def drop(self):
        for name in TEMP_TABLES:
            with contextlib.suppress(DatabaseError), transaction.atomic():
                # A failed run's transaction may refuse; the temporary tables go with the session then.
                self.execute(f"DROP TABLE IF EXISTS {name}")

    # --- step 1: sales reduced to per-client figures --------------------------------------------

    def sale_filter(self):
        return f"""
            FROM {table(SaleDay)} s
            JOIN {table(Order)} o ON o.id = s.order_id
            WHERE o.deleted_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM {table(Counterparty)} x
                              WHERE x.id = o.counterparty_id AND x.deleted_at IS NOT NULL)
              AND o.state NOT IN (%s, %s) AND s.date <= {self.param_date()}"""

    def collect(self):
        run = self.run
        self.tune()
        self.analyze_if_unknown(SaleDay, Order, Counterparty, Interaction)
        # The sales per order and day (sales.sale_days: shipments and lines not in the trash, each
        # line to the kopeck); other currencies are read in the same pass (``other``), counted in
        # shipment lines (``n``), then set aside.
        self.temp("an_sale", f"""
            SELECT o.counterparty_id AS cp, s.order_id AS oid, s.date AS d, {self.kopecks("s.amount")} AS amt,
                   {self.kopecks("s.cost")} AS cst, s.lines AS n, s.first_of_order AS f,
                   CASE WHEN o.currency = %s THEN NULL ELSE o.currency END AS other
            {self.sale_filter()}""", [run.currency, *LEFT_OUT_STATES, self.date(run.analysis_date)], index="")
        self.skipped = self.set_aside()
        self.clients()
        # The local date of the latest contact (of the max, not of every one: SQLite converts in Python).
        contacts = (Interaction.objects.filter(state=Interaction.State.DONE,
                                               start__lt=local_midnight(run.analysis_date + datetime.timedelta(days=1)))
                    .values("counterparty_id").annotate(last_contact=TruncDate(Max("start")))
                    .values_list("counterparty_id", "last_contact").order_by())
        query, params = contacts.query.sql_with_params()
        self.temp("an_contact", f"SELECT * FROM ({query}) t", params, index="counterparty_id")

    def clients(self):
        """Per client: the sales figures (``client_sales``) and the ABC rank: the running measure
        before the client and the total over clients with a measure > 0 (ties: lower id first)."""
        query, params = self.client_sales()
        order = "ORDER BY ms DESC, cp"
        self.temp("an_client", f"""
            SELECT cp, rev, cst, recent, ago, s1, s2, n, first_d, last_d, med, ms,
                   CASE WHEN ms > 0 THEN ROW_NUMBER() OVER ({order}) END AS rk,
                   CASE WHEN ms > 0 THEN COALESCE(SUM(ms) OVER ({order} ROWS BETWEEN UNBOUNDED PRECEDING
                                                                AND 1 PRECEDING), 0) END AS before_ms,
                   SUM(CASE WHEN ms > 0 THEN ms ELSE 0 END) OVER () AS total
            FROM (SELECT a.*, COALESCE({self.measure()}, 0) AS ms FROM ({query}) a) x""", params)

    def client_sales(self):
        """(query, parameters) of a row per client with sales: the sums of the ABC period, of the
        recent and the year-ago periods (``rev``, ``cst``, ``recent``, ``ago``); the XYZ sums of
        monthly sales over the 12 full months before the analysis date (``s1`` = Σ, ``s2`` = Σ of
        squares; zero months count through the fixed n = 12); the purchases (an order with a sale,
        dated by its first one: its sale day marked ``first_of_order``), the first and last one and
        the median of the days between consecutive ones (``n``, ``first_d``, ``last_d``, ``med``)."""
        run = self.run
        between = f"d >= {self.param_date()} AND d <= {self.param_date()}"
        params = [self.date(d) for d in (run.period_start, run.period_end, run.period_start, run.period_end,
                                         self.recent_from, self.recent_to, self.ago_from, self.ago_to)]
        sums = f"""SUM(CASE WHEN {between} THEN amt ELSE 0 END) AS rev,
                   SUM(CASE WHEN {between} THEN cst ELSE 0 END) AS cst,
                   SUM(CASE WHEN {between} THEN amt ELSE 0 END) AS recent,
                   SUM(CASE WHEN {between} THEN amt ELSE 0 END) AS ago"""
        months = [self.date(self.xyz_from), self.date(self.xyz_to)]
        first = "SUM(CASE WHEN f THEN 1 ELSE 0 END) AS n, MIN(CASE WHEN f THEN d END) AS first_d, " \
                "MAX(CASE WHEN f THEN d END) AS last_d"
        if self.pg:
            # One sort by client and day: a sale times its month's total, summed, is the Σ of
            # squares; a purchase's previous one is the latest first-day mark before it.
            previous = ("MAX(CASE WHEN f THEN d END) OVER (PARTITION BY cp ORDER BY mk, d, oid "
                        "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)")
            return f"""
                SELECT cp, {sums}, SUM(CASE WHEN {between} THEN amt ELSE 0 END) AS s1,
                       SUM(CASE WHEN {between} THEN amt * month_total ELSE 0 END) AS s2, {first},
                       ROUND(CAST(percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS NUMERIC)) AS med
                FROM (
                    SELECT cp, d, amt, cst, f, SUM(amt) OVER (PARTITION BY cp, mk) * 1.0 AS month_total,
                           CASE WHEN f THEN {self.days("d", previous)} END AS gap
                    FROM (SELECT an_sale.*, {self.month("d")} AS mk FROM an_sale) s
                ) w GROUP BY cp""", params + months * 2
        # SQLite sorts rather than hashes: the months are summed first (the 12 in the window, the
        # rest as one), then the client; the medians come from their own table (``medians``).
        self.medians()
        return f"""
            SELECT c.*, md.med FROM (
                SELECT cp, SUM(rev) AS rev, SUM(cst) AS cst, SUM(recent) AS recent, SUM(ago) AS ago,
                       SUM(m) AS s1, SUM(m * m) AS s2, SUM(n) AS n, MIN(first_d) AS first_d,
                       MAX(last_d) AS last_d
                FROM (
                    SELECT cp, {sums}, SUM(CASE WHEN mk IS NULL THEN 0 ELSE amt END) * 1.0 AS m, {first}
                    FROM (SELECT an_sale.*, CASE WHEN {between} THEN {self.month("d")} END AS mk FROM an_sale) s
                    GROUP BY cp, mk
                ) cm GROUP BY cp
            ) c LEFT JOIN an_median md ON md.cp = c.cp""", params + months

    def medians(self):
        """SQLite: per client with two purchases or more, the median of the days between
        consecutive purchases (the middle two averaged)."""
        gaps = f"""SELECT cp, {self.days("d", "prev_d")} AS gap FROM (
                      SELECT cp, d, LAG(d) OVER (PARTITION BY cp ORDER BY d, oid) AS prev_d FROM an_sale WHERE f
                   ) x WHERE prev_d IS NOT NULL"""
        self.temp("an_median", f"""
            SELECT cp, ROUND(AVG(gap)) AS med FROM (
                SELECT cp, gap, ROW_NUMBER() OVER (PARTITION BY cp ORDER BY gap) AS rn,
                       COUNT(*) OVER (PARTITION BY cp) AS n
                FROM ({gaps}) g
            ) r WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY cp""")

    def measure(self):
        if self.run.measure == "profit":
            return "(a.rev - a.cst)"
        if self.run.measure == "margin":
            return "CASE WHEN a.rev > 0 THEN (a.rev - a.cst) * 100.0 / a.rev END"
        return "a.rev"

    def set_aside(self):
        """{currency: shipment lines left out}, the sales the analysis cannot add up, removed
        from ``an_sale``."""
        count = "SELECT other, SUM(n) FROM {} GROUP BY other ORDER BY other"
        with connection.cursor() as cursor:
            if self.pg:  # one scan: the deleted rows are counted
                cursor.execute("WITH d AS (DELETE FROM an_sale WHERE other IS NOT NULL RETURNING other, n) "
                               + count.format("d"))
                return dict(cursor.fetchall())
            cursor.execute(count.format("an_sale WHERE other IS NOT NULL"))
            skipped = dict(cursor.fetchall())
            if skipped:
                cursor.execute("DELETE FROM an_sale WHERE other IS NOT NULL")
            return skipped

    # --- step 2: a row per client ---------------------------------------------------------------

    def classify(self):
        run = self.run
        self.tune()
        measure = self.fixed("q.ms", 4) if self.run.measure == "margin" else self.money("q.ms")
        cv = "SQRT(CASE WHEN 12 * q.s2 - q.s1 * q.s1 > 0 THEN 12 * q.s2 - q.s1 * q.s1 ELSE 0 END) * 100.0 / q.s1"
        lost_before = self.date(run.analysis_date - datetime.timedelta(days=self.lost_days))
        target, id_column, id_value = self.writer(ClientAnalysis)
        self.execute(f"""
            INSERT INTO {target} (
                {id_column}run_id, counterparty_id, main_manager_id, revenue, cost, profit, measure, share,
                share_before, rank, abc, stage, xyz, cv, purchases, first_purchase, last_purchase, median_interval,
                last_contact, recent_sales, year_ago_sales, abc_effective, stage_effective, xyz_effective,
                abc_prev, stage_prev, xyz_prev)
            SELECT {id_value}%s, q.cp, q.manager, {self.money("q.rev")}, {self.money("q.cst")},
                   {self.money("(q.rev - q.cst)")},
                   {measure}, {self.fixed("q.share", 4)}, {self.fixed("q.share_before", 4)}, q.rk, q.abc, q.stage,
                   {self.xyz_class()} AS xyz,
                   CASE WHEN q.stage = 'regular' AND q.s1 > 0
                        THEN {self.fixed(cv, 2)} END,
                   q.n, q.first_d, q.last_d, q.med, q.last_contact, {self.money("q.recent")}, {self.money("q.ago")},
                   COALESCE(NULLIF(ov.abc, ''), q.abc), COALESCE(NULLIF(ov.stage, ''), q.stage),
                   COALESCE(NULLIF(ov.xyz, ''), {self.xyz_class()}),
                   pv.abc_effective, pv.stage_effective, pv.xyz_effective
            FROM (
                SELECT c.id AS cp, c.main_manager_id AS manager, COALESCE(a.rev, 0) AS rev,
                       COALESCE(a.cst, 0) AS cst, COALESCE(a.ms, 0) AS ms,
                       CASE WHEN a.rk IS NOT NULL THEN a.ms * 100.0 / a.total END AS share,
                       CASE WHEN a.rk IS NOT NULL THEN a.before_ms * 100.0 / a.total END AS share_before, a.rk,
                       CASE WHEN a.rk IS NULL THEN ''
                            WHEN a.before_ms * 100 < %s * a.total THEN 'A'
                            WHEN a.before_ms * 100 < %s * a.total THEN 'B' ELSE 'C' END AS abc,
                       CASE WHEN COALESCE(a.n, 0) = 0 THEN 'potential'
                            WHEN a.last_d < {self.param_date()} THEN 'lost'
                            WHEN a.n = 1 THEN 'one_time' ELSE 'regular' END AS stage,
                       COALESCE(a.n, 0) AS n, a.first_d, a.last_d, a.med, t.last_contact,
                       COALESCE(a.recent, 0) AS recent, COALESCE(a.ago, 0) AS ago,
                       COALESCE(a.s1, 0) AS s1, COALESCE(a.s2, 0) AS s2
                FROM {table(Counterparty)} c
                LEFT JOIN an_client a ON a.cp = c.id
                LEFT JOIN an_contact t ON t.counterparty_id = c.id
                WHERE c.deleted_at IS NULL AND (c.is_client = {self.true} OR a.n > 0)
            ) q
            LEFT JOIN {table(ClassOverride)} ov ON ov.counterparty_id = q.cp AND ov.deleted_at IS NULL
            LEFT JOIN {table(ClientAnalysis)} pv ON pv.run_id = %s AND pv.counterparty_id = q.cp
            """, [run.pk, self.a, self.b, lost_before, run.previous_id or 0])
        self.written(ClientAnalysis)

    def xyz_class(self):
        """X / Y / Z of a regular client by CV² = (12·s2 − s1²) / s1² against the thresholds², no roots."""
        spread = "(12 * q.s2 - q.s1 * q.s1) * 10000"
        return (f"CASE WHEN q.stage <> 'regular' THEN '' WHEN q.s1 <= 0 THEN 'Z' "
                f"WHEN {spread} <= {self.sq(self.x)} * q.s1 * q.s1 THEN 'X' "
                f"WHEN {spread} <= {self.sq(self.y)} * q.s1 * q.s1 THEN 'Y' ELSE 'Z' END")

    def sq(self, value):
        return repr(float(value) ** 2)

    # --- step 3: early warning ------------------------------------------------------------------

    def warn(self):
        """All the risk flags of the run in one statement: the run's rows are read once."""
        run, day = self.run, self.param_date()
        self.tune()
        d = self.date(run.analysis_date)
        parts, params = [], []
        for reason, details, condition, args in self.risk_rules(day, d):
            parts.append(f"SELECT run_id, counterparty_id, main_manager_id, '{reason}', {details} "
                         f"FROM r WHERE {condition}")
            params += args
        target, id_column, id_value = self.writer(RiskFlag)
        self.execute(f"""
            WITH r AS (SELECT * FROM {table(ClientAnalysis)} WHERE run_id = %s)
            INSERT INTO {target} ({id_column}run_id, counterparty_id, main_manager_id, reason, details)
            SELECT {id_value}f.* FROM ({" UNION ALL ".join(parts)}) f""", [run.pk, *params])
        self.written(RiskFlag)

    def risk_rules(self, day, d):
        """(reason, details, condition, parameters) of each warning (docs/analytics.md)."""
        since_contact = self.days(day, "last_contact")
        since_purchase = self.days(day, "last_purchase")
        no_contact_before = self.date(self.run.analysis_date - datetime.timedelta(days=self.no_contact_days))
        factor = f"{Decimal(str(self.factor)).normalize():f}"
        yield ("no_contact",
               self.json("'days'", f"CASE WHEN last_contact IS NULL THEN NULL ELSE {since_contact} END",
                         "'last_contact'", "last_contact"),
               f"abc_effective IN ('A', 'B') AND (last_contact IS NULL OR last_contact < {day})",
               [d, no_contact_before])
        yield ("overdue",
               self.json("'days'", since_purchase, "'median'", "median_interval", "'factor'", "CAST(%s AS VARCHAR)"),
               f"stage_effective <> 'lost' AND purchases >= 2 AND median_interval > 0 "
               f"AND {since_purchase} > %s * median_interval",
               [d, factor, d, self.factor])
        for reason, column, ranks in (("class_drop", "abc", ABC_SQL), ("stage_drop", "stage", STAGE_SQL)):
            yield (reason, self.json("'from'", f"{column}_prev", "'to'", f"{column}_effective"),
                   f"{column}_prev IS NOT NULL "
                   f"AND {ranks.format(f'{column}_prev')} > {ranks.format(f'{column}_effective')}", [])
        yield ("sales_drop",
               self.json("'recent'", "recent_sales", "'year_ago'", "year_ago_sales",
                         "'pct'", "ROUND((year_ago_sales - recent_sales) * 100.0 / year_ago_sales, 1)"),
               "year_ago_sales > 0 AND recent_sales * 100 <= year_ago_sales * (100 - %s)", [self.drop_pct])

    # --- step 4: the current classification -----------------------------------------------------

    def publish(self):
        """Mirror the run's rows into Classification, writing only what changed: from one night to
        the next most clients keep their classes (100 000 unchanged rows rewritten cost 0.4 s).
        Clients no longer in the run lose theirs."""
        columns = ("abc", "stage", "xyz", "abc_prev", "stage_prev", "xyz_prev", "overridden")
        source = f"""
            SELECT r.counterparty_id, r.abc_effective AS abc, r.stage_effective AS stage, r.xyz_effective AS xyz,
                   r.abc_prev, r.stage_prev, r.xyz_prev,
                   CASE WHEN o.id IS NULL THEN {self.false} ELSE {self.true} END AS overridden
            FROM {table(ClientAnalysis)} r
            LEFT JOIN {table(ClassOverride)} o ON o.counterparty_id = r.counterparty_id AND o.deleted_at IS NULL
            WHERE r.run_id = %s"""
        def listed(prefix, template="{p}.{c}"):
            return ", ".join(template.format(p=prefix, c=c) for c in columns)

        if self.pg:  # a hash join of the two (0.1 s), where an upsert probes the key row by row (0.26 s)
            write = f"""
                MERGE INTO {table(Classification)} c USING ({source}) s ON c.counterparty_id = s.counterparty_id
                WHEN MATCHED AND ({listed("c")}) IS DISTINCT FROM ({listed("s")})
                    THEN UPDATE SET {listed("s", "{c} = {p}.{c}")}
                WHEN NOT MATCHED THEN INSERT (counterparty_id, {", ".join(columns)})
                                      VALUES (s.counterparty_id, {listed("s")})"""
        else:
            write = f"""
                INSERT INTO {table(Classification)} AS c (counterparty_id, {", ".join(columns)}) {source}
                ON CONFLICT (counterparty_id) DO UPDATE SET {listed("excluded", "{c} = {p}.{c}")}
                WHERE ({listed("c")}) IS NOT ({listed("excluded")})"""
        with connection.cursor() as cursor:
            cursor.execute(write, [self.run.pk])
            changed = cursor.rowcount
            cursor.execute(f"""
                DELETE FROM {table(Classification)} WHERE NOT EXISTS (
                    SELECT 1 FROM {table(ClientAnalysis)} r
                    WHERE r.run_id = %s AND r.counterparty_id = {table(Classification)}.counterparty_id)""",
                           [self.run.pk])
            self.published = changed + cursor.rowcount


# The columns the reports filter, join and group by: statistics of the others cost time and buy no plan.
ANALYZED = {
    ClientAnalysis: ["run_id", "counterparty_id", "main_manager_id", "abc_effective", "stage_effective",
                     "xyz_effective", "rank"],
    RiskFlag: ["run_id", "counterparty_id", "main_manager_id", "reason"],
    Classification: ["counterparty_id", "abc", "stage", "xyz"],
}
ABC_SQL = "CASE {} WHEN 'A' THEN 3 WHEN 'B' THEN 2 WHEN 'C' THEN 1 ELSE 0 END"
STAGE_SQL = "CASE {} WHEN 'regular' THEN 3 WHEN 'one_time' THEN 2 WHEN 'potential' THEN 1 ELSE 0 END"
