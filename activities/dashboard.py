"""The activities' tile of the core dashboard: contacts done / overdue / planned per employee with
their overdue tasks (one grouped query each, whatever the data)."""

import datetime
import operator
from dataclasses import dataclass
from functools import reduce

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from core import access
from core.dashboard import DashboardTile, Moment, local_midnight, register_tile

from .models import Counterparty, Interaction, InteractionDay, Task


@dataclass
class EmployeeRow:
    user_id: int
    name: str
    done_today: int = 0
    done_month: int = 0
    overdue: int = 0
    planned: int = 0
    overdue_tasks: int = 0


def _name(user):
    return f"{user.first_name} {user.last_name}".strip() or user.username


MEASURES = ("done_today", "done_month", "overdue", "planned")


def measures(moment):
    """{measure: (state, from, to)}: instants, ``None`` for no bound."""
    done, planned = Interaction.State.DONE, Interaction.State.PLANNED
    return {"done_today": (done, local_midnight(moment.today),
                           local_midnight(moment.today + datetime.timedelta(days=1))),
            "done_month": (done, local_midnight(moment.month), local_midnight(moment.next_month)),
            "overdue": (planned, None, moment.now),
            "planned": (planned, moment.now, None)}


def employees(user, moment):
    """[EmployeeRow] for everyone with contacts this month, planned contacts or overdue tasks.

    Done = contacts marked done (this month / today); overdue = still planned with a start in
    the past; planned = still planned, starting from now on. Tasks: open with a past deadline.
    Whoever sees every client counts from the interactions' rollup (``InteractionDay``); a
    sales manager's own contacts are few enough to count as they are.
    """
    if access.rule_for(user)[0] == "all" and access.can(user, access.VIEW, Interaction):
        counts = counts_from_days(user, moment)
    else:
        counts = counts_live(Interaction.objects.restrict(user, access.VIEW), measures(moment))
    counts = {uid: row for uid, row in counts.items() if row["done_month"] or row["overdue"] or row["planned"]}
    tasks = dict(Task.objects.restrict(user, access.VIEW).filter(state=Task.State.OPEN, deadline__lt=moment.now)
                 .values_list("assignee_id").annotate(count=Count("id")).order_by())
    names = {u.pk: u for u in get_user_model().objects.filter(pk__in={*counts, *tasks})
             .only("first_name", "last_name", "username")}
    rows = []
    for uid in {*counts, *tasks} & set(names):
        row = counts.get(uid, dict.fromkeys(MEASURES, 0))
        rows.append(EmployeeRow(uid, _name(names[uid]), *(row[m] for m in MEASURES), tasks.get(uid, 0)))
    return sorted(rows, key=lambda r: r.name.lower())


def _range_q(state, start, end, field="start"):
    q = Q(state=state)
    if start is not None:
        q &= Q(**{f"{field}__gte": start})
    if end is not None:
        q &= Q(**{f"{field}__lt": end})
    return q


def counts_live(interactions, ranges):
    """{responsible id: {measure: count}} of ``interactions`` in ``ranges`` {measure: (state, from, to)}."""
    if not ranges:
        return {}
    grouped = (interactions.filter(reduce(operator.or_, [_range_q(*r) for r in ranges.values()]))
               .values("responsible_id").annotate(**{m: Count("id", filter=_range_q(*r)) for m, r in ranges.items()})
               .order_by())
    return {row.pop("responsible_id"): row for row in grouped}


def _utc_day_after(instant):
    """The first UTC midnight at or after ``instant``."""
    day = instant.astimezone(datetime.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day if day == instant else day + datetime.timedelta(days=1)


def _utc_day_of(instant):
    return instant.astimezone(datetime.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def split(state, start, end):
    """The whole UTC days of [start, end) (from, to: midnights or None), and the rest as ranges."""
    first = None if start is None else _utc_day_after(start)
    last = None if end is None else _utc_day_of(end)
    if first is not None and last is not None and first >= last:
        return None, [(state, start, end)]
    edges = [(state, start, first)] if start is not None and start < first else []
    edges += [(state, last, end)] if end is not None and last < end else []
    return (state, first, last), edges


def counts_from_days(user, moment):
    """The counts from the rollup's whole days, the partial days at the ends counted from the
    interactions, and the whole days' contacts of clients in the trash taken off."""
    days, edges = {}, {}  # edges: {"<measure>_<n>": range}
    for m, (state, start, end) in measures(moment).items():
        days[m], rest = split(state, start, end)
        edges.update({f"{m}_{i}": edge for i, edge in enumerate(rest)})
    whole = {m: r for m, r in days.items() if r is not None}
    day_q = {m: _range_q(s, a and a.date(), b and b.date(), "day") for m, (s, a, b) in whole.items()}
    counts = {}
    if whole:
        grouped = (InteractionDay.objects.filter(reduce(operator.or_, day_q.values())).values("responsible_id")
                   .annotate(**{m: Sum("count", filter=q) for m, q in day_q.items()}).order_by())
        counts = {row.pop("responsible_id"): row for row in grouped}
    trashed = Counterparty.all_objects.filter(deleted_at__isnull=False).values("pk")
    in_trash = counts_live(Interaction.objects.filter(counterparty__in=trashed), whole)
    partial = counts_live(Interaction.objects.restrict(user, access.VIEW), edges)
    result = {}
    for uid in {*counts, *partial}:
        row = result[uid] = {}
        for m in MEASURES:
            row[m] = ((counts.get(uid, {}).get(m) or 0) - in_trash.get(uid, {}).get(m, 0)
                      + sum(n for key, n in partial.get(uid, {}).items() if key.rsplit("_", 1)[0] == m))
    return result


def totals(rows):
    keys = ("done_today", "done_month", "overdue", "planned", "overdue_tasks")
    return {key: sum(getattr(r, key) for r in rows) for key in keys}




def employees_tile(user, request, now):
    people = employees(user, Moment(now))
    return {"employees": people, "employee_totals": totals(people)}


def register():
    register_tile(DashboardTile("employees", _("Contacts and tasks by employee"),
                                "activities/dashboard/employees.html", employees_tile), order=40)
