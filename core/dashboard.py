"""The management dashboard: tiles the apps register, shown on one core page.

An app registers a ``DashboardTile`` in ``core.registry.dashboard_tiles`` (``register_tile``, from
its ``AppConfig.ready()``). The page shows, in registry order, the tiles whose ``permission(user)``
allows them, each rendered from its ``template`` with what ``context(user, request, now)``
returns. Every tile's figures start from ``restrict(user, "view")``: a head sees the whole
company, a manager their own; a tile keeps its query count fixed (grouped queries).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone

from core import registry


@dataclass(frozen=True)
class DashboardTile:
    key: str
    title: str
    template: str
    context: Callable  # context(user, request, now) -> dict for the template; request may be None
    permission: Callable | None = None  # permission(user) -> bool; None: every user


def month_start(day, shift=0):
    """The first day of ``day``'s month moved by ``shift`` months."""
    month = day.year * 12 + day.month - 1 + shift
    return datetime.date(month // 12, month % 12 + 1, 1)


def local_midnight(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass
class Moment:
    """"Now" for one dashboard: the local day and the month around it."""

    now: datetime.datetime

    def __post_init__(self):
        self.today = timezone.localdate(self.now)
        self.month = month_start(self.today)
        self.next_month = month_start(self.today, 1)


def register_tile(tile, order=100):
    return registry.dashboard_tiles.register(tile.key, tile, order=order)


def tiles_for(user):
    return [tile for tile in registry.dashboard_tiles if tile.permission is None or tile.permission(user)]


def tile_contexts(user, request=None, now=None):
    """{tile key: its context} of the tiles ``user`` gets (in order), at ``now`` (default: the clock)."""
    now = now or timezone.now()
    return {tile.key: tile.context(user, request, now) for tile in tiles_for(user)}


def render_tiles(user, request, now=None):
    """[(tile, html)] in order."""
    contexts = tile_contexts(user, request, now)
    tiles = registry.dashboard_tiles
    return [(tiles[key], render_to_string(tiles[key].template, context, request=request))
            for key, context in contexts.items()]
