"""``manage.py bench --count N``: fill the database with N clients and time the pages people use.

Server time only: requests go through Django's test client in this process (middleware, views,
templates, queries), so network and browser are left out. See docs/benchmark.md.

The rows and pages come from the apps: each registers a ``BenchCase`` in
``core.registry.bench_cases`` (from its ``AppConfig.ready()``). They generate in registry order
(clients first: the bench clients and users the others build on) and are deleted in reverse.
"""

import html
import json
import math
import os
import platform
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from core import registry
from core.runtime import tune_gc

COUNT_SQL = re.compile(r"\bCOUNT\s*\(", re.IGNORECASE)
READ_SQL = re.compile(r"^\s*(SELECT|WITH)\b", re.IGNORECASE)
# Case titles starting with this mark count rows on purpose (reports, dashboard).
AGGREGATE = "Σ "


def percentile(values, pct):
    """Nearest-rank percentile: with 30 runs p95 is the second slowest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def database_info():
    """Engine, version and whether the quick-search index of migration 0002 is there."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'cp_search_trgm'")
            version = f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}"
            index = "pg_trgm index"
        else:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'clients_counterparty_fts'")
            version = f"SQLite {connection.Database.sqlite_version}"
            index = "FTS5 trigram table"
        present = cursor.fetchone()[0]
    return f"{version}, search index: {index if present else 'none'}"


def temp_table(cursor, name, columns, rows):
    """A temporary table ``name`` (``columns`` DDL) filled with ``rows``: the small lookup tables
    the parts' ``INSERT … SELECT`` generators join (days, slots, products)."""
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    cursor.execute(f"CREATE TEMP TABLE {name} ({columns})")
    marks = ", ".join(["%s"] * len(rows[0]))
    cursor.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)  # noqa: S608


def deep_cursor(url, user, number, per_page=50):
    """The keyset cursor of page ``number`` of the list at ``url`` as ``user`` sees it: after the
    row that ends the page before (found once with an OFFSET; the last row on a shorter list)."""
    from django.test import RequestFactory
    from django.urls import resolve

    from core.pagination import _flip, cursor_after

    match = resolve(url)
    request = RequestFactory().get(url)
    request.user = user
    view = match.func.view_class()
    view.setup(request, *match.args, **match.kwargs)
    _filterset, qs = view.filtered()
    _sort, ordering = view.table_class.ordering_for(None)
    offset = (number - 1) * per_page - 1
    rows = list(qs.order_by(*ordering)[offset:offset + 1]) or list(qs.order_by(*_flip(ordering))[:1])
    return cursor_after(rows[0], ordering) if rows else ""


@dataclass
class BenchRun:
    """One run of the command: its options and what the contributions share."""

    opts: dict
    stdout: object
    admin: object = None
    managers: list = field(default_factory=list)
    shared: dict = field(default_factory=dict)  # e.g. the bench clients' group, the sample client


@dataclass(frozen=True)
class BenchCase:
    """An app's part of the benchmark; every hook is optional.

    - ``arguments``: ((flags…), add_argument kwargs) of the app's own options;
    - ``prepare(run)``: called first, also for ``--cleanup`` (e.g. to find the bench clients' group);
    - ``existing(run)``: (rows an earlier ``--keep`` left, the error text when there are some);
    - ``users(run)``: (admin, managers) the bench runs as (the first contribution having it);
    - ``generate(run, count, start)``: add rows for ``count`` new bench clients numbered from ``start``;
    - ``cases(run)``: the measured pages, (title, user, url, params, text the page must contain[,
      p95 target in ms on PostgreSQL at a million clients — on SQLite the command's targets apply]);
    - ``delete(run)``: remove the app's bench rows; a number returned counts the bench clients;
    - ``summary(run)``: a few words on the base measured ("120000 counterparties").
    """

    arguments: tuple = ()
    prepare: Callable | None = None
    existing: Callable | None = None
    users: Callable | None = None
    generate: Callable | None = None
    cases: Callable | None = None
    delete: Callable | None = None
    summary: Callable | None = None


def _hooks(name, reverse=False):
    parts = list(registry.bench_cases)
    return [getattr(p, name) for p in (reversed(parts) if reverse else parts) if getattr(p, name)]


def machine_info():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    except OSError:
        pass
    load = "/".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return f"{cpu}, {os.cpu_count()} CPUs, load average {load}, Python {platform.python_version()}"


class Command(BaseCommand):
    help = "Generate N bench clients (bulk) and time list, filter, search and card pages."

    def add_arguments(self, parser):
        add = parser.add_argument
        add("--count", type=int, default=100_000, help="Bench clients to have (default 100000).")
        add("--repeat", type=int, default=30, help="Timed requests per case (default 30).")
        add("--warmup", type=int, default=3, help="Untimed requests per case first.")
        add("--batch", type=int, default=5000, help="Clients per insert transaction.")
        add("--managers", type=int, default=20, help="Sales managers to spread clients over.")
        for arguments in _hooks("arguments"):
            for flags, kwargs in arguments:
                add(*flags, **kwargs)
        add("--keep", action="store_true", help="Leave the bench rows in place afterwards.")
        add("--reuse", action="store_true",
            help="Measure bench rows an earlier --keep run left (topped up to --count); implies --keep.")
        add("--cleanup", action="store_true", help="Only delete bench rows and bench users.")
        add("--no-analyze", action="store_true", help="Skip ANALYZE after inserting.")
        add("--assert", dest="check", action="store_true",
            help="Exit non-zero when a target is missed (median, p95, COUNT on a page).")
        add("--max-median", type=float, default=100.0, help="Target median, ms (default 100).")
        add("--max-p95", type=float, default=200.0,
            help="Target p95, ms (default 200; on PostgreSQL a case's own target wins).")
        add("--json", dest="json_path", metavar="FILE", help="Also write the figures as JSON to FILE.")
        add("--only", metavar="REGEX", help="Time only the cases whose title matches (e.g. 'knowledge|segment').")

    def handle(self, *args, **opts):
        run = BenchRun(opts=opts, stdout=self.stdout)
        for hook in _hooks("prepare"):
            hook(run)
        if opts["cleanup"]:
            self.stdout.write(f"Deleted {self.delete_bench(run)} bench clients.")
            return
        existing = 0
        keep = opts["keep"] or opts["reuse"]
        for hook in _hooks("existing"):
            count, message = hook(run)
            existing = max(existing, count)
            if count and not keep:
                raise CommandError(message)
        if settings.DEBUG:
            self.stderr.write("DEBUG is on: pages are slower than in production. Run with DEBUG=0.")
        run.admin, run.managers = _hooks("users")[0](run)
        try:
            # Also with nothing to top up: each part adds what it lacks (a --reuse after an
            # interrupted generation, or a part added since).
            self.generate(run, max(0, opts["count"] - existing), existing)
            results = self.measure(run)
            summary = ", ".join(hook(run) for hook in _hooks("summary"))
        finally:
            if not keep:
                started = time.monotonic()
                deleted = self.delete_bench(run)
                self.stdout.write(f"Deleted {deleted} bench clients ({time.monotonic() - started:.1f} s); "
                                  "--keep leaves them in place.")
        self.report(results, summary, opts)

    # --- Data ---------------------------------------------------------------------------------
    def delete_bench(self, run):
        """Every contribution deletes its rows, the last registered first (children before parents)."""
        deleted = 0
        for hook in _hooks("delete", reverse=True):
            result = hook(run)
            deleted += result if isinstance(result, int) else 0
        return deleted

    def generate(self, run, count, start):
        started = time.monotonic()
        self.stdout.write(f"Generating {count} bench clients on {connection.vendor} …" if count else
                          "Adding what the bench clients lack …")
        for hook in _hooks("generate"):
            hook(run, count, start)
        if not run.opts["no_analyze"]:
            with connection.cursor() as cursor:  # fresh planner statistics, as autovacuum would give
                cursor.execute("ANALYZE")
        self.stdout.write(f"Generated in {time.monotonic() - started:.1f} s.")

    def cases(self, run):
        """(title, user, url, params, text the page must contain) for every measured page; params
        "next" follow the first page's Next link, ("page", n) jump to the n-th page."""
        return [case for hook in _hooks("cases") for case in hook(run)]

    # --- Measuring ----------------------------------------------------------------------------
    def measure(self, run):
        opts = run.opts
        # The test client talks to the app in-process; let it in without HTTPS redirects.
        with override_settings(ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS],
                               SECURE_SSL_REDIRECT=False):
            clients, cases = {}, []
            tune_gc()  # as the WSGI process does after startup
            only = re.compile(opts["only"], re.IGNORECASE) if opts.get("only") else None
            for title, user, url, params, expect, *target in self.cases(run):
                if only and not only.search(title):
                    continue
                if user.pk not in clients:
                    clients[user.pk] = Client(raise_request_exception=True)
                    clients[user.pk].force_login(user)
                client = clients[user.pk]
                if params == "next":  # follow the first page's "Next" link (keyset cursor)
                    first = client.get(url).content.decode()
                    cursor = re.search(r'cursor=([^"&]+)"[^>]*data-testid="next-page"', first)
                    params = {"cursor": unquote(html.unescape(cursor.group(1)))} if cursor else {}
                elif isinstance(params, tuple) and params[0] == "page":  # ("page", n): the n-th page
                    params = {"cursor": deep_cursor(url, user, params[1])}
                for _ in range(max(1, opts["warmup"]) - 1):
                    client.get(url, params)
                with CaptureQueriesContext(connection) as captured:  # the last warm-up shows the SQL
                    response = client.get(url, params)
                if response.status_code != 200:
                    raise CommandError(f"{title}: HTTP {response.status_code} for {url} {params}")
                if expect and expect not in response.content.decode():
                    raise CommandError(f"{title}: the expected client is not on the page ({url} {params})")
                cases.append({"title": title, "client": client, "url": url, "params": params,
                              "queries": captured.captured_queries, "wall": [], "cpu": [],
                              "target": target[0] if target else None})
            # Round robin over the cases, so that a burst of load elsewhere on the machine
            # spreads over all of them instead of spoiling one.
            for _ in range(opts["repeat"]):
                for case in cases:
                    started, started_cpu = time.perf_counter(), time.process_time()
                    case["client"].get(case["url"], case["params"])
                    case["wall"].append((time.perf_counter() - started) * 1000)
                    case["cpu"].append((time.process_time() - started_cpu) * 1000)
            results = [self.summarize(case) for case in cases]
            for client in clients.values():
                client.logout()
        return results

    def summarize(self, case):
        queries = case["queries"]
        return {
            "title": case["title"], "params": case["params"], "median": statistics.median(case["wall"]),
            "p95": percentile(case["wall"], 95), "cpu": statistics.median(case["cpu"]),
            "queries": len(queries), "counts": [q["sql"] for q in queries if COUNT_SQL.search(q["sql"])],
            "slowest": max(queries, key=lambda q: float(q["time"]), default=None), "target": case["target"],
        }

    @staticmethod
    def targets(result, opts):
        """(median, p95) the case must meet: its own p95 target on PostgreSQL, else the options'."""
        own = result["target"] if connection.vendor == "postgresql" else None
        return opts["max_median"], own or opts["max_p95"]

    def report(self, results, summary, opts):
        self.stdout.write(f"\n{database_info()}, {summary}\n{machine_info()}\n"
                          f"{opts['repeat']} timed requests per case\n")
        self.stdout.write(f"{'case':<28} {'median ms':>10} {'p95 ms':>8} {'target':>7} {'app CPU ms':>11} "
                          f"{'queries':>8} {'COUNT':>6}")
        failures = []
        for r in results:
            max_median, max_p95 = self.targets(r, opts)
            counts_ok = not r["counts"] or r["title"].startswith(AGGREGATE)
            r["ok"] = r["median"] <= max_median and r["p95"] <= max_p95 and counts_ok
            r["target_median"], r["target_p95"] = max_median, max_p95
            line = (f"{r['title']:<28} {r['median']:>10.1f} {r['p95']:>8.1f} {max_p95:>7g} {r['cpu']:>11.1f} "
                    f"{r['queries']:>8} {len(r['counts']):>6}{'' if r['ok'] else '  ✗'}")
            self.stdout.write(line if r["ok"] else self.style.ERROR(line))
            if not r["ok"]:
                failures.append(r["title"])
                self.explain(r)
            elif opts["verbosity"] >= 2:
                self.details(r)
        self.stdout.write(f"\nTargets: median ≤ {opts['max_median']:g} ms, p95 ≤ the \"target\" column, "
                          "no COUNT(*) on a page view\n(Σ cases aggregate on purpose).\n"
                          "\"app CPU\" counts this process only, not the "
                          "database server: wall time well above it is the database or a CPU busy elsewhere.")
        if opts.get("json_path"):
            self.write_json(opts["json_path"], results, summary, opts)
        if failures:
            message = f"Missed targets: {', '.join(failures)}"
            if opts["check"]:
                raise CommandError(message)
            self.stdout.write(self.style.WARNING(message))
        else:
            self.stdout.write(self.style.SUCCESS("All targets met."))

    def details(self, r):
        self.stdout.write(f"    params: {r['params']}")
        if r["slowest"]:
            slowest = r["slowest"]
            self.stdout.write(f"    slowest query ({float(slowest['time']) * 1000:.1f} ms): {slowest['sql'][:800]}")
        for sql in r["counts"]:
            self.stdout.write(f"    COUNT: {sql[:300]}")

    def explain(self, r):
        """A missed case shows its slowest query and that query's plan (run once more, read-only)."""
        self.details(r)
        slowest = r["slowest"]
        if not slowest or not READ_SQL.match(slowest["sql"]):
            return
        r["plan"] = plan = query_plan(slowest["sql"])
        self.stdout.write("    plan:\n" + "\n".join(f"      {line}" for line in plan.splitlines()))

    def write_json(self, path, results, summary, opts):
        keep = ("title", "params", "median", "p95", "cpu", "queries", "target_median", "target_p95", "ok", "plan")
        data = {"database": database_info(), "vendor": connection.vendor, "summary": summary,
                "machine": machine_info(), "repeat": opts["repeat"], "count": opts["count"],
                "cases": [{**{k: r.get(k) for k in keep}, "counts": len(r["counts"]),
                           "slowest_ms": float(r["slowest"]["time"]) * 1000 if r["slowest"] else None}
                          for r in results]}
        with open(path, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False, indent=1, default=str)
        self.stdout.write(f"Figures written to {path}.")


class _PlanDone(Exception):
    """Rolls the EXPLAIN ANALYZE back (it runs the statement)."""


def query_plan(sql):
    """EXPLAIN of a captured query: PostgreSQL runs it (ANALYZE, BUFFERS) inside a transaction
    rolled back; SQLite shows its QUERY PLAN. The captured text has its parameters inlined."""
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # atomic(): a savepoint inside an outer transaction (a test), not a ROLLBACK of it.
                try:
                    with transaction.atomic():
                        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                        rows = [row[0] for row in cursor.fetchall()]
                        raise _PlanDone
                except _PlanDone:
                    pass
            else:
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
                depth, rows = {}, []
                for node, parent, _unused, detail in cursor.fetchall():  # a tree: indent by depth
                    depth[node] = depth.get(parent, -1) + 1
                    rows.append("  " * depth[node] + detail)
    except Exception as exc:  # noqa: BLE001 - a plan is a hint; the figures stand without it
        return f"(no plan: {type(exc).__name__}: {exc})"
    return "\n".join(rows)

