"""The navigation bar: menu entries the apps register, grouped into a few dropdown menus.

An app registers ``NavItem``s in ``core.registry.navigation`` (``register_item``, from its
``AppConfig.ready()``). The bar shows the ``MENUS`` in their order, each as a dropdown of the
entries the user may use (``permission(user)``), divided by ``section``; a menu without such
entries is left out. Core adds its own entries (the trash, the API documentation, users).
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import access, registry

CLIENTS, ACTIVITIES, SALES, MARKETING, SERVICE, REPORTS, SETTINGS = (
    "clients", "activities", "sales", "marketing", "service", "reports", "settings")
MENUS = [(CLIENTS, _("Clients")), (ACTIVITIES, _("Activities")), (SALES, _("Sales")), (MARKETING, _("Marketing")),
         (SERVICE, pgettext_lazy("menu", "Service")), (REPORTS, _("Reports")), (SETTINGS, _("Settings"))]


@dataclass(frozen=True)
class NavItem:
    group: str  # one of the MENUS keys
    label: str
    url_name: str
    icon: str = ""  # a Bootstrap icon name, without "bi-"
    permission: Callable | None = None  # permission(user) -> bool; None: every user
    section: str = ""  # entries of another section are set apart by a divider
    testid: str = ""
    args: tuple = ()  # of the URL


@dataclass
class Menu:
    key: str
    label: str
    # {"item", "url", "label", "icon", "testid"} or None for a divider. Dicts: a template reads a
    # dict key at once, where "entry.0.icon" on a tuple failed twice (and called dir()) before
    # trying an index — ~430 failed lookups a page.
    entries: list

    @property
    def testid(self):
        return f"{self.key}-menu"


def register_item(key, item, order=100):
    return registry.navigation.register(key, item, order=order)


def register_widget(key, template_name, order=100):
    """A template drawn at the right of the bar (e.g. the notification bell)."""
    return registry.navbar_widgets.register(key, template_name, order=order)


def register_overlay(key, template_name, order=100):
    """A floating template (e.g. toasts) drawn on every signed-in page outside the bar, which
    collapses — and hides what it holds — on narrow screens."""
    return registry.page_overlays.register(key, template_name, order=order)


def report_items(user):
    """The Reports menu lists every registered report the user may open (core.registry.reports)."""
    from core.reports import visible_reports

    yield NavItem(REPORTS, _("All reports"), "reports", icon="bar-chart", section="reports", testid="nav-reports")
    for report in sorted(visible_reports(user), key=lambda r: r.group_order):
        yield NavItem(REPORTS, report.title, "report", args=(report.slug,), section=str(report.group))


def item_url(name, args):
    return _reversed(name, tuple(args or ()), get_script_prefix(), get_urlconf())


@lru_cache(maxsize=2048)
def _reversed(name, args, prefix, urlconf):
    """Menu URLs, reversed once: a page drew ~90 of them (3 ms of every page's app CPU)."""
    return reverse(name, args=args, urlconf=urlconf)


def _forget_urls(setting, **kwargs):
    if setting in {"ROOT_URLCONF", "FORCE_SCRIPT_NAME"}:
        _reversed.cache_clear()
        _menus.clear()


setting_changed.connect(_forget_urls)


def menus_for(user):
    """The menus ``user`` gets, each with the entries the user may use, in registry order."""
    entries = {}
    for item in [*registry.navigation, *report_items(user)]:
        if item.permission is not None and not item.permission(user):
            continue
        entries.setdefault(item.group, []).append(item)
    menus = []
    for key, label in MENUS:
        items = entries.get(key)
        if not items:
            continue
        rows, section = [], items[0].section
        for item in items:
            if item.section != section:
                rows.append(None)
                section = item.section
            rows.append({"item": item, "url": item_url(item.url_name, item.args), "label": item.label,
                         "icon": item.icon, "testid": item.testid})
        menus.append(Menu(key, label, rows))
    return menus


def menus_html(user):
    """The bar's dropdown menus as HTML, built in Python and kept per set of entries drawn: ~100
    entries cost ~3.4 ms of every page's app CPU through the template (a quarter of a plain
    list's) and 1.4 ms as Python. The entries are still decided per request (permissions may
    depend on anything), which is the cheap part."""
    menus = menus_for(user)
    key = tuple((menu.key, str(menu.label), tuple(
        (entry["url"], entry["testid"], entry["icon"], str(entry["label"])) if entry else None
        for entry in menu.entries)) for menu in menus)
    html = _menus.get(key)
    if html is None:
        if len(_menus) >= MENU_CACHE_SIZE:
            _menus.clear()
        html = _menus[key] = mark_safe("".join(_menu_html(m) for m in menus))  # noqa: S308 (escaped)
    return html


_menus = {}
MENU_CACHE_SIZE = 500  # distinct bars: roles × languages, a few variants each


def _menu_html(menu):
    rows = []
    for entry in menu.entries:
        if entry is None:
            rows.append('<li><hr class="dropdown-divider"></li>')
            continue
        testid = format_html(' data-testid="{}"', entry["testid"]) if entry["testid"] else ""
        icon = format_html('<i class="bi bi-{} me-1"></i>', entry["icon"]) if entry["icon"] else ""
        rows.append(format_html('<li><a class="dropdown-item" href="{}"{}>{}{}</a></li>',
                                entry["url"], testid, icon, entry["label"]))
    return format_html(
        '<li class="nav-item dropdown"><a class="nav-link dropdown-toggle" href="#" data-bs-toggle="dropdown" '
        'data-testid="{}">{}</a><ul class="dropdown-menu">{}</ul></li>',
        menu.testid, menu.label, mark_safe("".join(rows)))  # noqa: S308 (each row escaped above)


def register():
    """Core's own entries (called from ``CoreConfig.ready()``)."""
    settings = access.can_manage_settings
    register_item("core:dashboard", NavItem(REPORTS, _("Dashboard"), "dashboard", icon="speedometer2",
                                            section="dashboard", testid="nav-dashboard"), order=0)
    register_item("core:users", NavItem(SETTINGS, _("Users and roles"), "admin:core_user_changelist", icon="people",
                                        permission=settings, section="system"), order=900)
    register_item("core:api_docs", NavItem(SETTINGS, _("API documentation"), "api-docs", icon="braces",
                                           permission=settings, section="system"), order=910)
