"""The user calendar: events from several sources in one time-sorted list (SPEC §3).

A source turns one model into calendar events (interactions, tasks, reminders; later expected
shipments and payments of orders). A new source is a ``Source`` subclass added to ``SOURCES``.
Every source narrows its rows with ``restrict(viewer, "view")``: whoever looks at a calendar,
their own or a subordinate's, sees only what they may see.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urljoin

from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.models import Counterparty
from clients.services import search_q
from core import access
from core.access import Role
from core.models import ConflictError

from ..models import Importance, Interaction, Reminder, Task

# Roles that may open anyone's calendar; other users only their direct subordinates'.
CALENDAR_HEAD_ROLES = frozenset({Role.ADMIN, Role.COMPANY_HEAD, Role.SALES_HEAD})

OVERDUE, TODAY, LATER, PAST = "overdue", "today", "later", "past"


@dataclass(frozen=True)
class CalendarFilters:
    """What to show. ``types`` holds "interaction", "interaction:<type pk>", "task", "reminder"."""

    counterparty: int | None = None
    q: str = ""
    types: frozenset = frozenset()
    importance: frozenset = frozenset()
    include_done: bool = False

    def wants(self, kind):
        return not self.types or kind in self.types or any(t.startswith(f"{kind}:") for t in self.types)

    def subtypes(self, kind):
        """Sub-type pks asked for (e.g. interaction types), or None for all of them."""
        if not self.types or kind in self.types:
            return None
        return [int(t.split(":", 1)[1]) for t in self.types
                if t.startswith(f"{kind}:") and t.split(":", 1)[1].isdigit()]

    def wants_importance(self, importance):
        return not self.importance or importance in self.importance


@dataclass
class Event:
    kind: str
    id: int
    title: str
    time: datetime
    end: datetime | None = None
    version: int | None = None
    importance: str = Importance.NORMAL
    # Still to happen (planned / open / not delivered): only these can be overdue or be moved.
    active: bool = True
    type_key: str = ""
    type_name: str = ""
    counterparty_id: int | None = None
    counterparty_name: str = ""
    description: str = ""
    url: str = ""
    client_url: str = ""
    movable: bool = False
    status: str = ""
    obj: object = field(default=None, repr=False, compare=False)

    @property
    def key(self):
        return f"{self.kind}-{self.id}"

    @property
    def local_date(self):
        return timezone.localdate(self.time)

    def as_dict(self):
        """A JSON-friendly form, for the API."""
        return {
            "kind": self.kind, "id": self.id, "version": self.version, "title": self.title,
            "time": self.time.isoformat(), "end": self.end.isoformat() if self.end else None,
            "importance": self.importance, "active": self.active, "status": self.status,
            "type": self.type_key, "type_name": self.type_name,
            "counterparty": ({"id": self.counterparty_id, "name": self.counterparty_name}
                             if self.counterparty_id else None),
            "url": self.url, "client_url": self.client_url, "movable": self.movable,
        }


def status_of(active, when, now=None):
    """overdue (red), today (black), later (grey) or past (done, greyed) — by the clock ``now``."""
    now = now or timezone.now()
    if active and when < now:
        return OVERDUE
    if timezone.localdate(when) == timezone.localdate(now):
        return TODAY
    return LATER if when > now else PAST


def _url(obj):
    # Edit pages belong to the interactions area; a missing route must not break the calendar.
    try:
        return obj.get_absolute_url()
    except NoReverseMatch:
        return ""


class Source:
    """One kind of calendar event. ``model`` and ``time_field`` make its events movable."""

    kind = ""
    model = None
    time_field = ""
    counterparty_path = "counterparty"

    def queryset(self, viewer, owner, start, end, filters):
        raise NotImplementedError

    def event(self, obj):
        raise NotImplementedError

    def is_active(self, obj):
        return True

    def shift(self, obj, delta):
        """Move ``obj`` by ``delta`` (without saving); the caller saves it."""
        setattr(obj, self.time_field, getattr(obj, self.time_field) + delta)

    def filter_counterparty(self, qs, viewer, filters):
        path = self.counterparty_path
        if filters.counterparty:
            qs = qs.filter(**{f"{path}_id": filters.counterparty})
        if filters.q.strip():
            # Only clients the viewer may see: a search must not reveal others' clients.
            found = Counterparty.objects.restrict(viewer, access.VIEW).filter(search_q(filters.q))
            qs = qs.filter(**{f"{path}__in": found})
        return qs

    def events(self, viewer, owner, start, end, filters):
        if not filters.wants(self.kind):
            return []
        objs = list(self.queryset(viewer, owner, start, end, filters))
        return self.build(viewer, objs)

    def build(self, viewer, objs):
        events = [self.event(obj) for obj in objs]
        if self.model is not None and objs:
            changeable = set(self.model.objects.restrict(viewer, access.CHANGE)
                             .filter(pk__in=[o.pk for o in objs]).values_list("pk", flat=True))
            for ev in events:
                ev.movable = ev.active and ev.id in changeable
        return events


class InteractionSource(Source):
    kind = "interaction"
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


class OrderPlanSource(Source):
    """Expected shipments or payments (invoice due dates) of the owner's orders, at the end of the
    working day they are due. Active while the order is open and the actual ones do not cover them
    yet (FIFO, see sales.services.orders); moved on the order card, not by dragging."""

    counterparty_path = "order__counterparty"
    type_label = ""

    def plan_model(self):
        raise NotImplementedError

    def queryset(self, viewer, owner, start, end, filters):
        from sales.models import Order, PlanFact
        from sales.services.orders import OPEN_STATES, with_coverage

        model = self.plan_model()
        if not filters.wants_importance(Importance.NORMAL):  # plans have no importance
            return model.objects.none()
        first, last = timezone.localdate(start), timezone.localdate(end - timedelta(microseconds=1))
        qs = (model.objects.restrict(viewer, access.VIEW)
              .filter(order__responsible=owner, kind=PlanFact.PLANNED, date__gte=first, date__lte=last)
              .exclude(order__state=Order.State.FAILED)
              .select_related("order__counterparty"))
        qs = with_coverage(self.filter_counterparty(qs, viewer, filters))
        if not filters.include_done:
            qs = qs.filter(order__state__in=OPEN_STATES, planned_upto__gt=F("actual_total"))
        return qs

    def is_active(self, obj):
        from sales.services.orders import OPEN_STATES

        return obj.order.state in OPEN_STATES and obj.uncovered > 0

    def when(self, obj):
        from core.working_time import workday_bounds

        return datetime.combine(obj.date, workday_bounds()[1], tzinfo=timezone.get_current_timezone())

    def event(self, obj):
        order = obj.order
        return Event(
            kind=self.kind, id=obj.pk, title=self.title(obj), time=self.when(obj), active=self.is_active(obj),
            type_key=self.kind, type_name=str(self.type_label), counterparty_id=order.counterparty_id,
            counterparty_name=order.counterparty.name, description=obj.comment, url=_url(order), obj=obj)


class ShipmentSource(OrderPlanSource):
    kind = "shipment"
    type_label = gettext_lazy("Expected shipment")

    def plan_model(self):
        from sales.models import Shipment

        return Shipment

    def queryset(self, viewer, owner, start, end, filters):
        qs = super().queryset(viewer, owner, start, end, filters)
        return qs.filter(line__deleted_at__isnull=True).select_related("line")

    def title(self, obj):
        from sales.services.orders import quantity_text

        quantity = quantity_text(obj.uncovered if obj.uncovered > 0 else obj.quantity)
        return _("Shipment: %(product)s × %(quantity)s, order %(number)s") % {
            "product": obj.line.product, "quantity": quantity, "number": obj.order.number}


class PaymentSource(OrderPlanSource):
    kind = "payment"
    type_label = gettext_lazy("Expected payment")

    def plan_model(self):
        from sales.models import Payment

        return Payment

    def title(self, obj):
        from core.templatetags.klientura import money

        amount = money(obj.uncovered if obj.uncovered > 0 else obj.amount, obj.order.currency)
        if obj.invoice_number:
            return _("Payment due: %(amount)s, invoice %(invoice)s, order %(number)s") % {
                "amount": amount, "invoice": obj.invoice_number, "number": obj.order.number}
        return _("Payment due: %(amount)s, order %(number)s") % {"amount": amount, "number": obj.order.number}


SOURCES = [InteractionSource(), TaskSource(), ReminderSource(), ShipmentSource(), PaymentSource()]
KIND_ORDER = {"interaction": 0, "task": 1, "reminder": 2, "shipment": 3, "payment": 4}


def source_for(kind):
    return next((s for s in SOURCES if s.kind == kind), None)


def _finish(viewer, events, now):
    """Status by the clock; the client only where the viewer may see it."""
    ids = {ev.counterparty_id for ev in events if ev.counterparty_id}
    visible = set(Counterparty.objects.restrict(viewer, access.VIEW).filter(pk__in=ids)
                  .values_list("pk", flat=True)) if ids else set()
    for ev in events:
        ev.status = status_of(ev.active, ev.time, now)
        if ev.counterparty_id in visible:
            ev.client_url = reverse("clients:counterparty", args=[ev.counterparty_id])
        else:
            ev.counterparty_id, ev.counterparty_name, ev.client_url = None, "", ""
    events.sort(key=lambda ev: (ev.time, KIND_ORDER.get(ev.kind, 9), ev.id))
    return events


def events_for(viewer, owner, start, end, filters=None, now=None):
    """Events of ``owner`` in [start, end) that ``viewer`` may see, sorted by time."""
    filters = filters or CalendarFilters()
    events = []
    for source in SOURCES:
        events += source.events(viewer, owner, start, end, filters)
    return _finish(viewer, events, now)


def event_of(viewer, kind, obj, now=None):
    """The calendar event of one object (e.g. after a move), as ``viewer`` sees it."""
    return _finish(viewer, source_for(kind).build(viewer, [obj]), now)[0]


# --- Whose calendar ---------------------------------------------------------------------------

def is_calendar_head(user):
    return bool(user.is_superuser or user.role in CALENDAR_HEAD_ROLES)


def can_view_calendar(viewer, owner):
    """Own calendar; anyone's for heads and administrators; a direct subordinate's for their head."""
    if not viewer.is_authenticated or not viewer.is_active:
        return False
    return viewer.pk == owner.pk or is_calendar_head(viewer) or owner.head_id == viewer.pk


def calendar_users(viewer):
    """Users whose calendars ``viewer`` may open (themselves included)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(is_active=True)
    if not is_calendar_head(viewer):
        users = users.filter(Q(pk=viewer.pk) | Q(head=viewer))
    return users


# --- Periods ----------------------------------------------------------------------------------

def week_start(day, first_day_of_week):
    """Monday-first or Sunday-first week start; ``first_day_of_week`` as Django's (0 = Sunday)."""
    python_first = (int(first_day_of_week) - 1) % 7  # date.weekday(): Monday = 0
    return day - timedelta(days=(day.weekday() - python_first) % 7)


def day_bounds(first, last):
    """Aware datetimes [first 00:00, day after last 00:00) in the current time zone."""
    tz = timezone.get_current_timezone()
    return (datetime.combine(first, datetime.min.time(), tzinfo=tz),
            datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=tz))


# --- Rescheduling -----------------------------------------------------------------------------

class NotMovable(Exception):
    """Done, cancelled or delivered events stay where they happened."""


def reschedule(user, kind, pk, version, new_date: date):
    """Move an event to ``new_date`` keeping its local time of day.

    404 (Http404) unless ``user`` may change it; ConflictError if ``version`` is stale.
    The change goes through ``save()`` so history records it.
    """
    source = source_for(kind)
    if source is None or source.model is None:
        raise Http404
    obj = get_object_or_404(source.model.objects.restrict(user, access.CHANGE), pk=pk)
    if not source.is_active(obj):
        raise NotMovable
    if obj.version != version:
        raise ConflictError(obj, obj)
    old = timezone.localtime(getattr(obj, source.time_field))
    new = datetime.combine(new_date, old.time(), tzinfo=old.tzinfo)
    with transaction.atomic():
        source.shift(obj, new - old)
        obj.save()  # optimistic locking: a concurrent save since ``version`` raises ConflictError
    return obj


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
