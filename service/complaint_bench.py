"""Bench complaints for ``manage.py bench`` (set-based inserts, no history rows): the complaint
list and reports measured on the bench clients' complaints (100 000 with the defaults)."""

import datetime as dt
import random

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from clients.models import Counterparty
from core import registry
from core.management.commands.bench import AGGREGATE, BenchCase

from .models import Complaint, ComplaintTask, ComplaintType, Department

ARGUMENTS = ((("--complaints-per-client",), {
    "type": float, "default": 1.0, "help": "Bench complaints per bench client (1.0: 100 000 for 100 000 clients)."}),)


def generate(group, fallback, *, per_client, batch=5000, seed=12, progress=None):
    rng = random.Random(seed)
    ComplaintType.ensure_builtin()
    Department.ensure_builtin()
    types = list(ComplaintType.objects.all())
    departments = list(Department.objects.all())
    ids = list(Counterparty.all_objects.filter(group=group).values_list("pk", flat=True))
    total = int(len(ids) * per_client)
    now = timezone.now()
    states = [Complaint.State.NEW, Complaint.State.IN_PROGRESS, Complaint.State.DECIDED, Complaint.State.CLOSED,
              Complaint.State.REJECTED]
    for start in range(0, total, batch):
        rows = []
        for _ in range(min(batch, total - start)):
            received = now - dt.timedelta(days=rng.uniform(0, 365))
            deadline = received + dt.timedelta(days=rng.choice((3, 4, 5)))
            state = rng.choices(states, [1, 2, 1, 10, 1])[0]
            decided = received + dt.timedelta(days=rng.uniform(0.2, 8)) if state in (
                Complaint.State.DECIDED, Complaint.State.CLOSED, Complaint.State.REJECTED) else None
            rows.append(Complaint(
                number=f"B-{start + len(rows):07d}", type=rng.choice(types), counterparty_id=rng.choice(ids),
                subject="Bench complaint", received_at=received, deadline=deadline, responsible_id=fallback,
                state=state, decision="Bench decision" if decided else "", decided_at=decided,
                closed_at=decided if state in (Complaint.State.CLOSED, Complaint.State.REJECTED) else None))
        with transaction.atomic():
            Complaint.objects.bulk_create(rows, batch_size=1000)
            ComplaintTask.objects.bulk_create([
                ComplaintTask(complaint=c, department=rng.choice(departments), description="Bench subtask",
                              deadline=c.deadline, done_at=c.decided_at, result="Done" if c.decided_at else "")
                for c in rows[::4]], batch_size=1000)
        if progress:
            progress(min(start + batch, total), total)


def delete(group):
    if group is None:
        return
    cp_ids = f"SELECT id FROM {Counterparty._meta.db_table} WHERE group_id = %s"  # noqa: S608
    complaint_ids = f"SELECT id FROM {Complaint._meta.db_table} WHERE counterparty_id IN ({cp_ids})"  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {ComplaintTask._meta.db_table} WHERE complaint_id IN ({complaint_ids})",  # noqa: S608
                       [group.pk])
        cursor.execute(f"DELETE FROM {Complaint._meta.db_table} WHERE counterparty_id IN ({cp_ids})",  # noqa: S608
                       [group.pk])


def bench_generate(run, count, start):
    group = run.shared.get("group")
    if group is None or Complaint.all_objects.filter(counterparty__group=group).exists():
        return
    run.stdout.write("Generating bench complaints …")
    generate(group, run.admin.pk, per_client=run.opts.get("complaints_per_client", 1.0), batch=run.opts["batch"],
             progress=lambda done, total: run.stdout.write(f"  {done}/{total} complaints"))


def bench_cases(run):
    admin, manager = run.admin, run.shared["manager"]
    listing = reverse("service:complaint_list")
    return [
        ("complaint list, admin", admin, listing, {}, None),
        ("complaint list, manager", manager, listing, {}, None),
        ("complaint list, overdue, admin", admin, listing, {"overdue": "true"}, None),
        (AGGREGATE + "complaint processing report, admin", admin,
         reverse("report", args=["complaint-processing"]), {}, None),
        (AGGREGATE + "complaints by client, admin", admin, reverse("report", args=["complaints-by"]),
         {"by": "client"}, None),
        (AGGREGATE + "complaint decisions, admin", admin, reverse("report", args=["complaint-decisions"]), {}, None),
    ]


def bench_delete(run):
    delete(run.shared.get("group"))


def register():
    # Before sales (order 30) in delete order does not matter: complaints only point at clients here.
    registry.bench_cases.register("complaints", BenchCase(
        arguments=ARGUMENTS, generate=bench_generate, cases=bench_cases, delete=bench_delete), order=60)
