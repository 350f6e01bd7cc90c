"""The user calendar's interactions, tasks and reminders (SPEC §3), and the iCalendar feed.

The events, filters, merging, rescheduling and whose calendar one may open are ``core.calendar``'s;
this module registers the activities' sources (interactions, tasks, reminders) in
``core.registry.calendar_sources`` — other apps register theirs (e.g. sales: expected shipments
and payments). The names below are re-exported for the callers that used them from here.
"""

from datetime import UTC, timedelta
from urllib.parse import urljoin

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.services import search_q
from core import access, registry
from core.calendar import (  # noqa: F401  re-exported
    CALENDAR_HEAD_ROLES,
    LATER,
    OVERDUE,
    PAST,
    TODAY,
    CalendarFilters,
    Event,
    NotMovable,
    Source,
    calendar_users,
    can_view_calendar,
    day_bounds,
    event_of,
    events_for,
    filter_choices,
    is_calendar_head,
    reschedule,
    source_for,
    status_of,
    week_start,
)
from core.calendar import object_url as _url

from ..models import Importance, Interaction, InteractionType, Reminder, Task


class InteractionSource(Source):
    kind = "interaction"
    label = gettext_lazy("Interactions")
    client_search = staticmethod(search_q)
    model = Interaction
    time_field = "start"

    def queryset(self, viewer, owner, start, end, filters):
        states = [Interaction.State.PLANNED] + ([Interaction.State.DONE] if filters.include_done else [])
        qs = (Interaction.objects.restrict(viewer, access.VIEW)
              .filter(responsible=owner, state__in=states, start__gte=start, start__lt=end)
              .select_related("type", "counterparty"))
        type_ids = filters.subtypes(self.kind)
        if type_ids is not None:
            qs = qs.filter(type_id__in=type_ids)
        if filters.importance:
            qs = qs.filter(importance__in=filters.importance)
        return self.filter_counterparty(qs, viewer, filters)

    def is_active(self, obj):
        return obj.state == Interaction.State.PLANNED

    def filter_choices(self):
        types = [(self.kind, _("All interactions"))]
        types += [(f"{self.kind}:{t.pk}", t.name) for t in InteractionType.objects.all()]
        return [(self.label, types)]

    def shift(self, obj, delta):
        obj.start += delta
        if obj.end:
            obj.end += delta
        # Its reminders ("meeting in an hour") follow it, unless already delivered.
        for reminder in Reminder.objects.filter(interaction=obj, delivered_at__isnull=True):
            reminder.remind_at += delta
            reminder.save()

    def event(self, obj):
        return Event(
            kind=self.kind, id=obj.pk, version=obj.version, title=obj.subject, time=obj.start,
            end=obj.end or (obj.start + timedelta(minutes=obj.duration_minutes) if obj.duration_minutes else None),
            importance=obj.importance, active=self.is_active(obj),
            type_key=f"interaction:{obj.type_id}", type_name=str(obj.type),
            counterparty_id=obj.counterparty_id, counterparty_name=obj.counterparty.name,
            description=obj.content, url=_url(obj), obj=obj)


class TaskSource(Source):
    kind = "task"
    label = gettext_lazy("Tasks")
    client_search = staticmethod(search_q)
    model = Task
    time_field = "deadline"

    def queryset(self, viewer, owner, start, end, filters):
        states = [Task.State.OPEN] + ([Task.State.DONE] if filters.include_done else [])
        qs = (Task.objects.restrict(viewer, access.VIEW)
              .filter(assignee=owner, state__in=states, deadline__gte=start, deadline__lt=end)
              .select_related("counterparty"))
        if filters.importance:
            qs = qs.filter(importance__in=filters.importance)
        return self.filter_counterparty(qs, viewer, filters)

    def is_active(self, obj):
        return obj.state == Task.State.OPEN

    def event(self, obj):
        return Event(
            kind=self.kind, id=obj.pk, version=obj.version, title=obj.title, time=obj.deadline,
            importance=obj.importance, active=self.is_active(obj), type_key=self.kind, type_name=_("Task"),
            counterparty_id=obj.counterparty_id,
            counterparty_name=obj.counterparty.name if obj.counterparty_id else "",
            description=obj.description, url=_url(obj), obj=obj)


class ReminderSource(Source):
    kind = "reminder"
    label = gettext_lazy("Reminders")
    client_search = staticmethod(search_q)
    model = Reminder
    time_field = "remind_at"

    def queryset(self, viewer, owner, start, end, filters):
        if not filters.wants_importance(Importance.NORMAL):  # reminders have no importance
            return Reminder.objects.none()
        qs = (Reminder.objects.restrict(viewer, access.VIEW)
              .filter(user=owner, remind_at__gte=start, remind_at__lt=end)
              .filter(Q(counterparty__isnull=True) | Q(counterparty__deleted_at__isnull=True))
              .select_related("counterparty"))
        return self.filter_counterparty(qs, viewer, filters)

    def is_active(self, obj):
        return obj.delivered_at is None

    def event(self, obj):
        return Event(
            kind=self.kind, id=obj.pk, version=obj.version, title=obj.text, time=obj.remind_at,
            active=self.is_active(obj), type_key=self.kind, type_name=obj.get_kind_display(),
            counterparty_id=obj.counterparty_id,
            counterparty_name=obj.counterparty.name if obj.counterparty_id else "",
            url=_url(obj), obj=obj)


def register():
    """Called from ``ActivitiesConfig.ready()``."""
    registry.calendar_sources.register("interaction", InteractionSource(), order=10)
    registry.calendar_sources.register("task", TaskSource(), order=20)
    registry.calendar_sources.register("reminder", ReminderSource(), order=30)


# --- iCalendar feed ---------------------------------------------------------------------------

FEED_PAST_DAYS = 90
FEED_FUTURE_DAYS = 400
# Phone calendars hardly show zero-length events: a meeting without an end gets this.
DEFAULT_DURATION = timedelta(minutes=30)


def feed_events(owner, now=None):
    now = now or timezone.now()
    return events_for(owner, owner, now - timedelta(days=FEED_PAST_DAYS), now + timedelta(days=FEED_FUTURE_DAYS),
                      CalendarFilters(include_done=True), now=now)


def build_ical(owner, events, base_url):
    """An iCalendar (RFC 5545) document of ``events``; UIDs are stable across downloads."""
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//Klientura//Calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"Klientura — {owner}")
    cal.add("x-published-ttl", "PT1H")
    stamp = timezone.now()
    prefixes = {"task": _("Task"), "reminder": _("Reminder")}
    for ev in events:
        item = icalendar.Event()
        item.add("uid", f"{ev.kind}-{ev.id}@klientura")
        item.add("dtstamp", stamp)
        item.add("dtstart", ev.time.astimezone(UTC))  # UTC: no VTIMEZONE needed
        if ev.kind == "interaction":
            item.add("dtend", (ev.end or ev.time + DEFAULT_DURATION).astimezone(UTC))
            item.add("status", "CONFIRMED")
        summary = ev.title if ev.kind == "interaction" else f"{prefixes.get(ev.kind, ev.type_name)}: {ev.title}"
        if ev.importance == Importance.HIGH:
            summary = f"! {summary}"
        item.add("summary", summary)
        lines = [ev.type_name] if ev.kind == "interaction" else []
        if ev.counterparty_name:
            lines.append(_("Client: %(name)s") % {"name": ev.counterparty_name})
        if ev.description:
            lines.append(ev.description)
        if lines:
            item.add("description", "\n".join(lines))
        if ev.url:
            item.add("url", urljoin(base_url, ev.url))
        item.add("priority", {Importance.HIGH: 1, Importance.LOW: 9}.get(ev.importance, 5))
        if ev.version:
            item.add("sequence", ev.version)
        cal.add_component(item)
    return cal.to_ical()
