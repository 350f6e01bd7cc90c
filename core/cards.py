"""Tabs of an object's card (the client card first), contributed by the apps.

An app registers a ``CardTab`` with ``register_tab`` (from its ``AppConfig.ready()``); the card
view asks ``tabs_for(card, user, obj)`` and its template iterates them. A tab either loads its
content lazily (htmx, ``url_name`` reversed with the object's pk) or renders a ``template`` in the
card's own context. The tab's content view still checks access itself: ``permission`` only
hides a tab the user could not use.

Panels (``register_panel``) are shown above the tabs, rendered in place by the
``{% card_panels %}`` tag (core/templatetags/cards.py) with the context their app computes.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from core import registry

COUNTERPARTY = "clients.counterparty"


@dataclass(frozen=True)
class CardTab:
    key: str  # also the ``?tab=`` value that opens it
    label: str
    card: str = COUNTERPARTY  # model label of the card
    url_name: str = ""
    template: str = ""
    permission: Callable | None = None  # permission(user) -> bool; None: everyone who sees the card
    visible: Callable | None = None  # visible(obj) -> bool, e.g. the Supplier tab of suppliers only
    badge: str = ""  # a card context variable whose length is shown on the tab
    testid: str = ""
    url: Callable | None = None  # url(obj) -> the lazy content's URL, when ``url_name`` with the pk will not do
    count: Callable | None = None  # count(user, obj) -> a number shown on the tab (instead of ``badge``)


@dataclass
class BoundTab:
    tab: CardTab
    url: str = ""
    active: bool = False
    badge_value: object = None


def register_tab(tab, order=100):
    return registry.card_tabs.register(f"{tab.card}:{tab.key}", tab, order=order)


def tabs_for(card, user, obj, active="", context=None):
    """The tabs of ``obj``'s card that ``user`` gets, in order; ``active`` is the open one's key,
    ``context`` the card's template context (for the badges)."""
    tabs = []
    for tab in registry.card_tabs:
        if tab.card != card or (tab.permission and not tab.permission(user)) or (tab.visible and not tab.visible(obj)):
            continue
        url = tab.url(obj) if tab.url else reverse(tab.url_name, args=[obj.pk]) if tab.url_name else ""
        if tab.count:
            badge = tab.count(user, obj)
        else:
            badge = (context or {}).get(tab.badge) if tab.badge else None
        tabs.append(BoundTab(tab, url, tab.key == active, badge))
    if tabs and not any(t.active for t in tabs):
        tabs[0].active = True
    return tabs


@dataclass(frozen=True)
class CardPanel:
    """A panel shown on a card above its tabs (e.g. the client's classes), from another app.

    ``context(request, obj)`` returns the template's context, or None to show nothing; it runs
    only for users who see the card, and for whom ``permission(user)`` (if set) is true.
    """

    key: str
    template: str
    context: Callable
    card: str = COUNTERPARTY
    permission: Callable | None = None


def register_panel(panel, order=100):
    return registry.card_panels.register(f"{panel.card}:{panel.key}", panel, order=order)


def panels_for(card, request, obj):
    """[(panel, context)] of ``obj``'s card for the request's user, in order."""
    result = []
    for panel in registry.card_panels:
        if panel.card != card or (panel.permission and not panel.permission(request.user)):
            continue
        context = panel.context(request, obj)
        if context is not None:
            result.append((panel, context))
    return result
