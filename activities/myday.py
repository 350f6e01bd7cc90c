"""The activities' sections of the My day page (core.myday): planned contacts, tasks and reminders
due today or overdue, registered from ``ActivitiesConfig.ready()``."""

from django.utils.translation import gettext_lazy as _

from core import access
from core.calendar import object_url
from core.myday import LIMIT, MyDaySection, Row, register_section
from core.navigation import ACTIVITIES, NavItem, register_item

from .models import Importance, Interaction, Reminder, Task


def _client(obj):
    cp = obj.counterparty if obj.counterparty_id else None
    return {"client": cp.name if cp else "", "client_url": object_url(cp) if cp else ""}


# --- Planned contacts ---------------------------------------------------------------------------

def interaction_row(user, obj, day):
    active = obj.state == Interaction.State.PLANNED
    return Row(id=obj.pk, title=obj.subject, when=obj.start, url=object_url(obj), note=str(obj.type),
               version=obj.version, active=active, overdue=active and obj.start < day.now, **_client(obj))


def interaction_rows(user, day):
    qs = (Interaction.objects.restrict(user, access.VIEW)
          .filter(responsible=user, state=Interaction.State.PLANNED, start__lt=day.end)
          .select_related("type", "counterparty").order_by("start", "pk"))
    return [interaction_row(user, obj, day) for obj in qs[:LIMIT + 1]]


def interaction_done(obj):
    obj.state = Interaction.State.DONE


# --- Tasks --------------------------------------------------------------------------------------

def task_row(user, obj, day):
    active = obj.state == Task.State.OPEN
    note = obj.get_importance_display() if obj.importance == Importance.HIGH else ""
    return Row(id=obj.pk, title=obj.title, when=obj.deadline, url=object_url(obj), note=note,
               version=obj.version, active=active, overdue=active and obj.deadline < day.now, **_client(obj))


def task_rows(user, day):
    qs = (Task.objects.restrict(user, access.VIEW)
          .filter(assignee=user, state=Task.State.OPEN, deadline__lt=day.end)
          .select_related("counterparty").order_by("deadline", "pk"))
    return [task_row(user, obj, day) for obj in qs[:LIMIT + 1]]


def task_done(obj):
    obj.state = Task.State.DONE


# --- Reminders ----------------------------------------------------------------------------------

def reminder_row(user, obj, day):
    return Row(id=obj.pk, title=obj.text, when=obj.remind_at, url=object_url(obj),
               note=obj.get_kind_display(), version=obj.version, active=obj.delivered_at is None, **_client(obj))


def reminder_rows(user, day):
    """Today's reminders, delivered or not (a delivered one is a notice already read or not)."""
    qs = (Reminder.objects.restrict(user, access.VIEW)
          .filter(user=user, remind_at__gte=day.start, remind_at__lt=day.end)
          .select_related("counterparty").order_by("remind_at", "pk"))
    return [reminder_row(user, obj, day) for obj in qs[:LIMIT + 1]]


def register():
    """Called from ``ActivitiesConfig.ready()``."""
    register_section(MyDaySection(
        "contacts", _("Contacts today and overdue"), interaction_rows, icon="chat-left-text",
        empty=_("No planned contacts for today."), more_url_name="activities:interaction_list",
        model=Interaction, row=interaction_row, done=interaction_done, reschedule_kind="interaction"), 10)
    register_section(MyDaySection(
        "tasks", _("Tasks due today and overdue"), task_rows, icon="check2-square",
        empty=_("No tasks due today."), more_url_name="activities:task_list",
        model=Task, row=task_row, done=task_done, reschedule_kind="task"), 20)
    register_section(MyDaySection(
        "reminders", _("Today's reminders"), reminder_rows, icon="bell", empty=_("No reminders today."),
        more_url_name="activities:reminder_list", model=Reminder, row=reminder_row, reschedule_kind="reminder"), 30)
    register_item("activities:my_day", NavItem(ACTIVITIES, _("My day"), "my_day", icon="sun",
                                               testid="nav-my-day"), 29)
