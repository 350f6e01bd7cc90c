"""``manage.py bench --count N``: fill the database with N clients and time the pages people use.

Server time only: requests go through Django's test client in this process (middleware, views,
templates, queries), so network and browser are left out. See docs/benchmark.md.
"""

import html
import math
import os
import platform
import re
import statistics
import time
from urllib.parse import unquote

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from clients import demo
from clients.models import PHONE_KINDS, ContactInfo, Counterparty
from sales import bench as sales_bench
from sales.models import Deal, Order, Pipeline

COUNT_SQL = re.compile(r"\bCOUNT\s*\(", re.IGNORECASE)
# Case titles starting with this mark count rows on purpose (reports, dashboard).
AGGREGATE = "Σ "


def phone_as_typed(e164):
    """+79035236645 → "8 (903) 523-66-45", the way people type Russian numbers."""
    d = e164.lstrip("+")
    return f"8 ({d[1:4]}) {d[4:7]}-{d[7:9]}-{d[9:11]}"


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
        add("--deals-per-client", type=float, default=0.2, help="Bench deals per bench client (0.2).")
        add("--orders-per-client", type=float, default=0.5, help="Bench orders per bench client (0.5).")
        add("--keep", action="store_true", help="Leave the bench rows in place afterwards.")
        add("--reuse", action="store_true",
            help="Measure bench rows an earlier --keep run left (topped up to --count); implies --keep.")
        add("--cleanup", action="store_true", help="Only delete bench rows and bench users.")
        add("--no-analyze", action="store_true", help="Skip ANALYZE after inserting.")
        add("--assert", dest="check", action="store_true",
            help="Exit non-zero when a target is missed (median, p95, COUNT on a page).")
        add("--max-median", type=float, default=100.0, help="Target median, ms (default 100).")
        add("--max-p95", type=float, default=200.0, help="Target p95, ms (default 200).")

    def handle(self, *args, **opts):
        if opts["cleanup"]:
            self.stdout.write(f"Deleted {self.delete_bench()} bench clients.")
            return
        group = demo.bench_group()
        existing = Counterparty.all_objects.filter(group=group).count() if group else 0
        keep = opts["keep"] or opts["reuse"]
        if existing and not keep:
            raise CommandError(
                f"The database already holds {existing} bench clients (group “{demo.BENCH_GROUP}”). "
                "Run with --reuse to measure them, or --cleanup to delete them first."
            )
        if settings.DEBUG:
            self.stderr.write("DEBUG is on: pages are slower than in production. Run with DEBUG=0.")
        admin, managers = demo.bench_users(opts["managers"])
        try:
            if opts["count"] > existing:
                self.generate(opts["count"] - existing, existing, managers, opts)
            results = self.measure(admin, opts)
            rows = Counterparty.all_objects.count()
        finally:
            if not keep:
                started = time.monotonic()
                deleted = self.delete_bench()
                self.stdout.write(f"Deleted {deleted} bench clients ({time.monotonic() - started:.1f} s); "
                                  "--keep leaves them in place.")
        self.report(results, rows, opts)

    # --- Data ---------------------------------------------------------------------------------
    def delete_bench(self):
        sales_bench.delete(demo.bench_group())
        return demo.delete_bench()

    def generate(self, count, start, managers, opts):
        started = time.monotonic()
        step = max(opts["batch"], count // 10)

        def progress(done):
            if done % step < opts["batch"] or done == count:
                rate = done / max(time.monotonic() - started, 1e-6)
                self.stdout.write(f"  {done}/{count} clients, {rate:,.0f}/s")

        self.stdout.write(f"Generating {count} bench clients on {connection.vendor} …")
        group = demo.generate_bench(count, start=start, managers=managers, batch=opts["batch"], progress=progress)
        if not Deal.all_objects.filter(counterparty__group=group).exists():
            self.stdout.write("Generating bench deals and orders …")
            sales_bench.generate(
                group, managers, deals_per_client=opts["deals_per_client"],
                orders_per_client=opts["orders_per_client"], batch=opts["batch"],
                progress=lambda what, done, total: self.stdout.write(f"  {done}/{total} {what}"))
        if not opts["no_analyze"]:
            with connection.cursor() as cursor:  # fresh planner statistics, as autovacuum would give
                cursor.execute("ANALYZE")
        self.stdout.write(f"Generated in {time.monotonic() - started:.1f} s.")

    def cases(self, admin):
        """(title, user, url, params, text the page must contain) for every measured page."""
        qs = Counterparty.objects.filter(group=demo.bench_group()).order_by("pk")
        ids = qs.values_list("pk", flat=True)
        middle = (ids.first() + ids.last()) // 2
        target = qs.filter(pk__gte=middle, main_manager__isnull=False).select_related("main_manager").first()
        phone = ContactInfo.objects.filter(counterparty=target, kind__in=PHONE_KINDS).first()
        person = target.contact_persons.first()
        # A name fragment as people type it: the start of the longest word of the name.
        fragment = max(re.findall(r"\w+", target.name.split("«")[-1]), key=len)[:6].lower()
        activity = target.properties.get("activity", demo.ACTIVITIES[0])
        manager, name = target.main_manager, html.escape(target.name)
        listing = reverse("clients:counterparty_list")
        return [
            ("list, admin", admin, listing, {}, None),
            ("list, manager", manager, listing, {}, None),
            ("list, next page", admin, listing, "next", None),
            ("filter: property (choice)", admin, listing, {"prop_activity": activity}, None),
            ("search: name fragment", admin, listing, {"q": fragment}, None),
            ("search: name, manager", manager, listing, {"q": fragment}, None),
            ("search: person surname", admin, listing, {"q": person.last_name}, None),
            ("search: phone", admin, listing, {"q": phone_as_typed(phone.value)}, name),
            ("search: tax id", admin, listing, {"q": target.tax_id}, name),
            ("client card", admin, target.get_absolute_url(), {}, name),
            *self.sales_cases(admin, manager),
        ]

    def sales_cases(self, admin, manager):
        """Sales pages; the board's column totals, reports and the dashboard count by design."""
        group = demo.bench_group()
        order = Order.objects.filter(counterparty__group=group, responsible=manager).order_by("-pk").first()
        board = reverse("sales:board", args=[Pipeline.default().pk])
        cases = [
            (AGGREGATE + "deal board, manager", manager, board, {}, None),
            (AGGREGATE + "deal board, admin", admin, board, {}, None),
            ("deal list, manager", manager, reverse("sales:deal_list"), {}, None),
            ("order list, manager", manager, reverse("sales:order_list"), {}, None),
            ("order analysis, manager", manager, reverse("sales:order_analysis"), {}, None),
            (AGGREGATE + "dashboard, admin", admin, reverse("sales:dashboard"), {}, None),
            (AGGREGATE + "sales funnel, admin", admin, reverse("sales:report_funnel"), {}, None),
            (AGGREGATE + "forecast, manager", manager, reverse("sales:report_forecast"), {}, None),
        ]
        if order is not None:
            cases.append(("order card", manager, order.get_absolute_url(), {}, None))
        return cases

    # --- Measuring ----------------------------------------------------------------------------
    def measure(self, admin, opts):
        # The test client talks to the app in-process; let it in without HTTPS redirects.
        with override_settings(ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS],
                               SECURE_SSL_REDIRECT=False):
            clients, cases = {}, []
            for title, user, url, params, expect in self.cases(admin):
                if user.pk not in clients:
                    clients[user.pk] = Client(raise_request_exception=True)
                    clients[user.pk].force_login(user)
                client = clients[user.pk]
                if params == "next":  # follow the first page's "Next" link (keyset cursor)
                    first = client.get(url).content.decode()
                    cursor = re.search(r'cursor=([^"&]+)"[^>]*data-testid="next-page"', first)
                    params = {"cursor": unquote(html.unescape(cursor.group(1)))} if cursor else {}
                for _ in range(max(1, opts["warmup"])):
                    response = client.get(url, params)
                if response.status_code != 200:
                    raise CommandError(f"{title}: HTTP {response.status_code} for {url} {params}")
                if expect and expect not in response.content.decode():
                    raise CommandError(f"{title}: the expected client is not on the page ({url} {params})")
                cases.append({"title": title, "client": client, "url": url, "params": params,
                              "wall": [], "cpu": []})
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
        with CaptureQueriesContext(connection) as captured:  # one more request, to see its SQL
            case["client"].get(case["url"], case["params"])
        queries = captured.captured_queries
        return {
            "title": case["title"], "params": case["params"], "median": statistics.median(case["wall"]),
            "p95": percentile(case["wall"], 95), "cpu": statistics.median(case["cpu"]),
            "queries": len(queries), "counts": [q["sql"] for q in queries if COUNT_SQL.search(q["sql"])],
            "slowest": max(queries, key=lambda q: float(q["time"]), default=None),
        }

    def report(self, results, rows, opts):
        self.stdout.write(f"\n{database_info()}, {rows} counterparties\n{machine_info()}\n"
                          f"{opts['repeat']} timed requests per case\n")
        self.stdout.write(f"{'case':<28} {'median ms':>10} {'p95 ms':>8} {'app CPU ms':>11} "
                          f"{'queries':>8} {'COUNT':>6}")
        failures = []
        for r in results:
            counts_ok = not r["counts"] or r["title"].startswith(AGGREGATE)
            ok = r["median"] <= opts["max_median"] and r["p95"] <= opts["max_p95"] and counts_ok
            line = (f"{r['title']:<28} {r['median']:>10.1f} {r['p95']:>8.1f} {r['cpu']:>11.1f} "
                    f"{r['queries']:>8} {len(r['counts']):>6}{'' if ok else '  ✗'}")
            self.stdout.write(line if ok else self.style.ERROR(line))
            if not ok:
                failures.append(r["title"])
            if opts["verbosity"] >= 2:
                self.stdout.write(f"    params: {r['params']}")
                if r["slowest"]:
                    slowest = r["slowest"]
                    self.stdout.write(f"    slowest query ({float(slowest['time']) * 1000:.1f} ms): "
                                      f"{slowest['sql'][:800]}")
                for sql in r["counts"]:
                    self.stdout.write(f"    COUNT: {sql[:300]}")
        self.stdout.write(f"\nTargets: median ≤ {opts['max_median']:g} ms, p95 ≤ {opts['max_p95']:g} ms, "
                          "no COUNT(*) on a page view\n(Σ cases aggregate on purpose).\n"
                          "\"app CPU\" counts this process only, not the "
                          "database server: wall time well above it is the database or a CPU busy elsewhere.")
        if failures:
            message = f"Missed targets: {', '.join(failures)}"
            if opts["check"]:
                raise CommandError(message)
            self.stdout.write(self.style.WARNING(message))
        else:
            self.stdout.write(self.style.SUCCESS("All targets met."))
