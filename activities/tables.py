from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.tables import Column, Table


def _importance(obj):
    return {"high": "!", "low": "↓"}.get(obj.importance, "")


def _client(obj):
    cp = obj.counterparty
    if cp is None:
        return ""
    return format_html('<a href="{}">{}</a>', cp.get_absolute_url(), cp.name)


def _email_state(obj):
    emails = list(obj.emails.all())
    return emails[0].get_state_display() if emails else ""


class InteractionTable(Table):
    default_sort = "-start"

    start = Column(_("Start"), order_by="start", css="text-nowrap")
    importance = Column("!", render=_importance)
    type = Column(_("Type"))
    subject = Column(_("Subject"), linkify=True)
    counterparty = Column(_("Counterparty"), render=_client)
    responsible = Column(_("Responsible"))
    state = Column(_("State"))
    email = Column(_("Email"), render=_email_state)


class UpcomingInteractionTable(InteractionTable):
    """The list opened without filters: from today on, the nearest first."""

    default_sort = "start"


class TaskTable(Table):
    default_sort = "deadline"

    deadline = Column(_("Deadline"), order_by="deadline", css="text-nowrap")
    importance = Column("!", render=_importance)
    title = Column(_("Task"), linkify=True)
    counterparty = Column(_("Counterparty"), render=_client)
    assignee = Column(_("Assignee"))
    author = Column(_("Author"))
    state = Column(_("State"), render=lambda o: (
        format_html('<span class="badge text-bg-danger">{}</span>', _("overdue"))
        if o.is_overdue else o.get_state_display()))


class ReminderTable(Table):
    default_sort = "remind_at"

    remind_at = Column(_("Remind at"), order_by="remind_at", css="text-nowrap")
    text = Column(_("Text"), linkify=True)
    counterparty = Column(_("Counterparty"), render=_client)
    user = Column(_("To whom"))
    delivered_at = Column(_("Delivered"))
