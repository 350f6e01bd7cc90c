"""The activities part of ``manage.py bench``: interactions of the bench clients (five per client:
the 5 000 000 of issue 14's base at a million clients) and the interaction list and form.

Rows go in with ``INSERT … SELECT`` over the bench clients, a range of client ids per statement
(nothing loaded into Python, no history rows), dated over the last two years and the next two
months: past ones mostly done, some cancelled, future ones planned.
"""

import datetime as dt
import time

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from clients.models import Counterparty
from core import registry, rollups
from core.management.commands.bench import BenchCase, temp_table

from .models import Interaction, InteractionType
from .rollups import INTERACTION_DAYS

MARK = "bench: activities"  # the content of the interactions added here
PAST_DAYS, FUTURE_DAYS = 730, 60
SUBJECTS = {"outgoing_call": "Звонок по заказу", "incoming_call": "Вопрос по доставке",
            "meeting": "Встреча в офисе клиента", "email": "Коммерческое предложение", "sms": "Напоминание об оплате",
            "letter": "Акт сверки", "other": "Выставка"}
STEP = 50_000  # client ids per statement
LIST = 50  # p95 target, ms, PostgreSQL at a million clients (issue 14)

ARGUMENTS = ((("--interactions-per-client",), {
    "type": float, "default": 5.0, "help": "Bench interactions per bench client (5: 5 000 000 at a million)."}),)



def _moments():
    """(n, start): 10:00–17:00 local on every day from two years back to two months ahead."""
    today = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    return [(n, today + dt.timedelta(days=FUTURE_DAYS - n, hours=n % 8)) for n in range(PAST_DAYS + FUTURE_DAYS)]


def generate(group, fallback_manager, per_client, progress=None):
    """Interactions for every bench client that has none of them yet; returns how many were added."""
    slots = round(per_client)
    ids = Counterparty.all_objects.filter(group=group).order_by("pk").values_list("pk", flat=True)
    if not slots or not ids.exists():
        return 0
    low, high = ids.first(), ids.last()
    adapt = connection.ops.adapt_datetimefield_value  # SQLite: naive UTC text, as the ORM writes it
    now = adapt(timezone.now())
    qn = connection.ops.quote_name
    table, cp = qn(Interaction._meta.db_table), qn(Counterparty._meta.db_table)
    InteractionType.ensure_builtin()
    types = list(InteractionType.objects.filter(code__in=SUBJECTS).order_by("order", "pk").values_list("pk", "code"))
    added = 0
    with connection.cursor() as cursor:
        zone = " WITH TIME ZONE" if connection.vendor == "postgresql" else ""
        temp_table(cursor, "act_bench_moment", f"n INTEGER, ts TIMESTAMP{zone}",
                   [(n, adapt(moment)) for n, moment in _moments()])
        temp_table(cursor, "act_bench_slot", "k INTEGER", [(k,) for k in range(1, slots + 1)])
        temp_table(cursor, "act_bench_type", "j INTEGER, type_id BIGINT, subject VARCHAR(200)",
                   [(j, pk, SUBJECTS[code]) for j, (pk, code) in enumerate(types)])
        # SQLite: the interactions' rollup once at the end, not a trigger's upsert per row.
        for start in rollups.suspended(range(low, high + 1, STEP), INTERACTION_DAYS):
            with transaction.atomic():
                cursor.execute(f"""
                    INSERT INTO {table} (created_at, updated_at, version, direction, state, subject, content,
                                         start, duration_minutes, importance, result, counterparty_id,
                                         responsible_id, type_id)
                    SELECT %s, %s, 1, CASE WHEN (c.id + s.k) %% 3 = 0 THEN 'in' ELSE 'out' END,
                           CASE WHEN m.ts > %s THEN 'planned' WHEN (c.id + s.k) %% 10 = 0 THEN 'cancelled'
                                ELSE 'done' END,
                           t.subject, %s, m.ts, CASE WHEN m.ts > %s THEN NULL ELSE 15 END, 'normal', '',
                           c.id, COALESCE(c.main_manager_id, %s), t.type_id
                    FROM {cp} c
                    CROSS JOIN act_bench_slot s
                    JOIN act_bench_moment m ON m.n = (c.id * 7919 + s.k * 104729) %% {PAST_DAYS + FUTURE_DAYS}
                    JOIN act_bench_type t ON t.j = (c.id + s.k * 3) %% {len(types)}
                    WHERE c.group_id = %s AND c.id >= %s AND c.id < %s
                      AND NOT EXISTS (SELECT 1 FROM {table} x WHERE x.counterparty_id = c.id AND x.content = %s)
                    """, [now, now, now, MARK, now, fallback_manager.pk, group.pk, start, start + STEP, MARK])  # noqa: S608
                added += cursor.rowcount
            if progress:
                progress(added)
        for name in ("act_bench_moment", "act_bench_slot", "act_bench_type"):
            cursor.execute(f"DROP TABLE {name}")
    return added


def delete(group):
    if group is None:
        return
    qn = connection.ops.quote_name
    cp_ids = f"SELECT id FROM {qn(Counterparty._meta.db_table)} WHERE group_id = %s"  # noqa: S608
    ids = f"SELECT id FROM {qn(Interaction._meta.db_table)} WHERE counterparty_id IN ({cp_ids})"  # noqa: S608
    through = Interaction.contact_persons.through._meta.db_table
    with transaction.atomic(), rollups.bulk(INTERACTION_DAYS), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {qn(through)} WHERE interaction_id IN ({ids})", [group.pk])  # noqa: S608
        cursor.execute(f"DELETE FROM {qn(Interaction._meta.db_table)} WHERE counterparty_id IN ({cp_ids})",  # noqa: S608
                       [group.pk])


# --- Hooks ---------------------------------------------------------------------------------------

def bench_generate(run, count, start):
    group = run.shared.get("group")
    if group is None or not run.opts["interactions_per_client"]:
        return
    run.stdout.write("Generating bench interactions …")
    started = time.monotonic()
    added = generate(group, run.managers[0], run.opts["interactions_per_client"],
                     progress=lambda done: run.stdout.write(f"  {done} interactions"))
    run.stdout.write(f"  {added} interactions ({time.monotonic() - started:.1f} s)")


def bench_cases(run):
    admin, manager = run.admin, run.shared["manager"]
    listing = reverse("activities:interaction_list")
    mine = (Interaction.objects.filter(counterparty__group=run.shared.get("group"), responsible=manager)
            .order_by("-pk").first())
    cases = [("interactions, admin", admin, listing, {}, None, LIST),
             ("interactions, manager", manager, listing, {}, None, LIST),
             ("interactions, next page", admin, listing, "next", None, LIST),
             ("interactions, page 1000", admin, listing, ("page", 1000), None, LIST)]
    if mine is not None:
        cases.append(("interaction form", manager, mine.get_absolute_url(), {}, None, LIST))
    return cases


def bench_delete(run):
    delete(run.shared.get("group"))


def register():
    registry.bench_cases.register("activities", BenchCase(
        arguments=ARGUMENTS, generate=bench_generate, cases=bench_cases, delete=bench_delete), order=20)
