"""The activities' tile of the core dashboard: contacts done / overdue / planned per employee with
their overdue tasks (one grouped query each, whatever the data)."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from core import access
from core.dashboard import DashboardTile, Moment, local_midnight, register_tile

from .models import Interaction, Task


@dataclass
class EmployeeRow:
    user_id: int
    name: str
    done_today: int = 0
    done_month: int = 0
    overdue: int = 0
    planned: int = 0
    overdue_tasks: int = 0


def _name(row, prefix):
    full = f"{row[prefix + 'first_name']} {row[prefix + 'last_name']}".strip()
    return full or row[prefix + "username"]


def employees(user, moment):
    """[EmployeeRow] for everyone with contacts this month, planned contacts or overdue tasks.

    Done = contacts marked done (this month / today); overdue = still planned with a start in
    the past; planned = still planned, starting from now on. Tasks: open with a past deadline.
    """
    done, planned = Interaction.State.DONE, Interaction.State.PLANNED
    today = Q(start__gte=local_midnight(moment.today),
              start__lt=local_midnight(moment.today + datetime.timedelta(days=1)))
    month = Q(start__gte=local_midnight(moment.month), start__lt=local_midnight(moment.next_month))
    names = ("first_name", "last_name", "username")
    contacts = (Interaction.objects.restrict(user, access.VIEW)
                .filter(Q(state=done) & month | Q(state=planned))
                .values("responsible_id", *[f"responsible__{n}" for n in names])
                .annotate(done_today=Count("id", filter=Q(state=done) & today),
                          done_month=Count("id", filter=Q(state=done)),
                          overdue=Count("id", filter=Q(state=planned, start__lt=moment.now)),
                          planned=Count("id", filter=Q(state=planned, start__gte=moment.now)))
                .order_by())
    rows = {}
    for row in contacts:
        rows[row["responsible_id"]] = EmployeeRow(
            row["responsible_id"], _name(row, "responsible__"), row["done_today"], row["done_month"],
            row["overdue"], row["planned"])
    tasks = (Task.objects.restrict(user, access.VIEW).filter(state=Task.State.OPEN, deadline__lt=moment.now)
             .values("assignee_id", *[f"assignee__{n}" for n in names]).annotate(count=Count("id")).order_by())
    for row in tasks:
        employee = rows.setdefault(row["assignee_id"], EmployeeRow(row["assignee_id"], _name(row, "assignee__")))
        employee.overdue_tasks = row["count"]
    return sorted(rows.values(), key=lambda r: r.name.lower())


def totals(rows):
    keys = ("done_today", "done_month", "overdue", "planned", "overdue_tasks")
    return {key: sum(getattr(r, key) for r in rows) for key in keys}




def employees_tile(user, request, now):
    people = employees(user, Moment(now))
    return {"employees": people, "employee_totals": totals(people)}


def register():
    register_tile(DashboardTile("employees", _("Contacts and tasks by employee"),
                                "activities/dashboard/employees.html", employees_tile), order=40)
