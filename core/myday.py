"""The "My day" page: a user's own work due today or overdue, from sections the apps register.

An app registers a ``MyDaySection`` in ``sections`` below (``register_section``, from its
``AppConfig.ready()``). The page (``/my-day/``, and ``/`` for sales managers) shows, in registry
order, the sections whose ``permission(user)`` allows them. ``rows(user, moment)`` returns the
section's ``Row``s: it starts from ``restrict(user, "view")``, keeps to the user's own work and
runs a fixed number of queries whatever the data size.

A section whose rows can be acted on names its ``model``; ``done(obj)`` marks a row done (the page
saves it, with optimistic locking) and ``reschedule_kind`` (a ``core.calendar`` source) moves it to
tomorrow. ``row(user, obj, moment)`` redraws one row after an action. Actions are offered only on
the rows ``restrict(user, "change")`` allows.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from core import access
from core.dashboard import Moment, local_midnight
from core.registry import Registry

sections = Registry("my_day", "core.myday: MyDaySection items of the My day page")

# Rows a section shows at most; the section links to its full list beyond that.
LIMIT = 30


@dataclass(frozen=True)
class MyDaySection:
    key: str
    title: str
    rows: Callable  # rows(user, moment) -> [Row], at most LIMIT + 1 (the extra one means "more")
    icon: str = ""  # a Bootstrap icon name, without "bi-"
    empty: str = ""  # shown when there are no rows
    more_url_name: str = ""  # the full list, linked when the section has more than LIMIT rows
    permission: Callable | None = None  # permission(user) -> bool; None: every user
    model: type | None = None  # whose rows the actions change
    row: Callable | None = None  # row(user, obj, moment) -> Row: one row again after an action
    done: Callable | None = None  # done(obj): set the done state, unsaved
    reschedule_kind: str = ""  # a core.calendar source kind: "tomorrow" moves the row through it

    @property
    def has_actions(self):
        return self.model is not None and self.row is not None and bool(self.done or self.reschedule_kind)


@dataclass
class Row:
    id: int
    title: str
    when: datetime.date | datetime.datetime | None = None
    url: str = ""
    client: str = ""
    client_url: str = ""
    note: str = ""  # a second line: type, amount, stage…
    version: int | None = None
    overdue: bool = False
    active: bool = True  # still to do: only active rows get the buttons
    can_done: bool = False
    can_move: bool = False
    outcome: str = ""  # after an action: "done" or "moved"

    @property
    def has_time(self):
        return isinstance(self.when, datetime.datetime)


@dataclass
class Day(Moment):
    """Now, today and the bounds of today in the current time zone."""

    def __post_init__(self):
        super().__post_init__()
        self.tomorrow = self.today + datetime.timedelta(days=1)
        self.start = local_midnight(self.today)
        self.end = local_midnight(self.tomorrow)


def register_section(section, order=100):
    return sections.register(section.key, section, order=order)


def sections_for(user):
    return [s for s in sections if s.permission is None or s.permission(user)]


def section_for(user, key):
    """The section ``key`` if ``user`` gets it, else None."""
    if key not in sections:
        return None
    section = sections[key]
    return section if section.permission is None or section.permission(user) else None


def allow_actions(user, section, rows):
    """Set ``can_done`` / ``can_move`` on the active rows ``user`` may change (one query)."""
    if not section.has_actions or not rows:
        return rows
    ids = [row.id for row in rows if row.active]
    changeable = set(section.model.objects.restrict(user, access.CHANGE).filter(pk__in=ids)
                     .values_list("pk", flat=True)) if ids else set()
    for row in rows:
        allowed = row.active and row.id in changeable
        row.can_done = allowed and section.done is not None
        row.can_move = allowed and bool(section.reschedule_kind)
    return rows


def build(user, now=None):
    """[(section, rows, more)] for ``user`` at ``now`` (default: the clock)."""
    day = Day(now or timezone.now())
    result = []
    for section in sections_for(user):
        rows = list(section.rows(user, day))
        more = len(rows) > LIMIT
        rows = allow_actions(user, section, rows[:LIMIT])
        result.append((section, rows, more))
    return result


def one_row(user, section, obj, now=None, outcome=""):
    """The row of ``obj`` redrawn after an action."""
    row = section.row(user, obj, Day(now or timezone.now()))
    allow_actions(user, section, [row])
    row.outcome = outcome
    return row
