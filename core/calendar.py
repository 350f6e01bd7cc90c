"""The user calendar's shared shape: events from the registered sources in one time-sorted list.

An app contributes a kind of event by registering a ``Source`` instance under its ``kind`` in
``core.registry.calendar_sources`` (in its ``AppConfig.ready()``); the registration order gives
the order of kinds at equal times and in the filter's list of event types. Every source narrows
its rows with ``restrict(viewer, "view")``: whoever looks at a calendar, their own or a
subordinate's, sees only what they may see.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch
from django.utils import timezone

from core import access, registry
from core.access import Role
from core.models import ConflictError

# Roles that may open anyone's calendar; other users only their direct subordinates'.
CALENDAR_HEAD_ROLES = frozenset({Role.ADMIN, Role.COMPANY_HEAD, Role.SALES_HEAD})

OVERDUE, TODAY, LATER, PAST = "overdue", "today", "later", "past"
NORMAL_IMPORTANCE = "normal"


@dataclass(frozen=True)
class CalendarFilters:
    """What to show. ``types`` holds "<kind>" or "<kind>:<sub-type pk>" (e.g. "interaction:3")."""

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
    importance: str = NORMAL_IMPORTANCE
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


def object_url(obj):
    # A missing route (e.g. an area not installed) must not break the calendar.
    try:
        return obj.get_absolute_url()
    except NoReverseMatch:
        return ""


class Source:
    """One kind of calendar event.

    ``model`` and ``time_field`` make its events movable by drag and drop; ``row_model`` is the
    model its rows come from (``model`` by default). ``counterparty_path`` leads from a row to
    its client; ``client_search(query)`` returns a Q over clients for the quick search (a source
    without it finds nothing when searched: it must not ignore the search).
    """

    kind = ""
    label = ""  # plural, for the filter ("Tasks")
    model = None
    row_model = None
    time_field = ""
    counterparty_path = "counterparty"
    client_search = None

    def queryset(self, viewer, owner, start, end, filters):
        raise NotImplementedError

    def event(self, obj):
        raise NotImplementedError

    def is_active(self, obj):
        return True

    def filter_choices(self):
        """Entries of the calendar filter's "event type" select: (value, label) or (group, [...])."""
        return [(self.kind, self.label)]

    def shift(self, obj, delta):
        """Move ``obj`` by ``delta`` (without saving); the caller saves it."""
        setattr(obj, self.time_field, getattr(obj, self.time_field) + delta)

    def client_model(self):
        model = self.row_model or self.model
        for part in self.counterparty_path.split("__"):
            model = model._meta.get_field(part).related_model
        return model

    def filter_counterparty(self, qs, viewer, filters):
        path = self.counterparty_path
        if filters.counterparty:
            qs = qs.filter(**{f"{path}_id": filters.counterparty})
        if filters.q.strip():
            if self.client_search is None:
                return qs.none()
            # Only clients the viewer may see: a search must not reveal others' clients.
            found = self.client_model().objects.restrict(viewer, access.VIEW).filter(self.client_search(filters.q))
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


def sources():
    return list(registry.calendar_sources)


def source_for(kind):
    return registry.calendar_sources[kind] if kind in registry.calendar_sources else None


def filter_choices():
    """The "event type" choices of the calendar filter, from the registered sources."""
    choices = []
    for source in sources():
        choices += source.filter_choices()
    return choices


def _finish(viewer, events, now, sources_by_kind):
    """Status by the clock; the client only where the viewer may see it."""
    visible = {}  # client model -> visible pks
    by_model = {}
    for ev in events:
        if ev.counterparty_id:
            by_model.setdefault(sources_by_kind[ev.kind].client_model(), set()).add(ev.counterparty_id)
    for model, ids in by_model.items():
        visible[model] = set(model.objects.restrict(viewer, access.VIEW).filter(pk__in=ids)
                             .values_list("pk", flat=True))
    order = {kind: i for i, kind in enumerate(registry.calendar_sources.keys())}
    for ev in events:
        ev.status = status_of(ev.active, ev.time, now)
        model = sources_by_kind[ev.kind].client_model() if ev.counterparty_id else None
        if model is not None and ev.counterparty_id in visible.get(model, ()):
            ev.client_url = object_url(model(pk=ev.counterparty_id))
        else:
            ev.counterparty_id, ev.counterparty_name, ev.client_url = None, "", ""
    events.sort(key=lambda ev: (ev.time, order.get(ev.kind, len(order)), ev.id))
    return events


def events_for(viewer, owner, start, end, filters=None, now=None):
    """Events of ``owner`` in [start, end) that ``viewer`` may see, sorted by time."""
    filters = filters or CalendarFilters()
    events, by_kind = [], {}
    for source in sources():
        by_kind[source.kind] = source
        events += source.events(viewer, owner, start, end, filters)
    return _finish(viewer, events, now, by_kind)


def event_of(viewer, kind, obj, now=None):
    """The calendar event of one object (e.g. after a move), as ``viewer`` sees it."""
    source = source_for(kind)
    return _finish(viewer, source.build(viewer, [obj]), now, {kind: source})[0]


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
