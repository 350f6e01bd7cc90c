"""Every page fits the screen: no sideways scrolling and no console errors (issue 9, "Done when").

A sales manager visits every page of their navigation, a client card and an order page at
1280 × 800 (one-row bar) and 390 × 844, in Russian, English and Romanian; a head, who sees every
client's rows on the same pages, visits them in Russian (the longest labels). One browser
context per user and language; the viewport changes inside it.
"""

import pytest
from django.conf import settings

from activities.tests.factories import InteractionFactory, TaskFactory
from clients.tests.factories import CounterpartyFactory
from sales.tests.factories import DealFactory, OrderFactory, OrderLineFactory

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = [(1280, 800), (390, 844)]
LANGUAGES = ["ru", "en", "ro"]
PASSWORD = "Secret-pass-123"

MENU_LINKS = """() => [...new Set([...document.querySelectorAll(
    '#nav a.dropdown-item, #nav a.nav-link:not(.dropdown-toggle)')]
    .map(a => a.getAttribute('href')).filter(h => h && h.startsWith('/')))]"""
# Everything checked at one viewport size, in one round trip (a function: the CSP forbids eval).
# The page scrolls sideways when the document is wider than the viewport; charts follow a
# viewport change a frame or two later (Chart.js resizes on a ResizeObserver callback), so the
# page gets up to a second to reflow first. The bar: its height and the vertical extent of its
# items (on one row, no item is taller than a row). The filters: visible as Playwright means it.
MEASURE = """async () => {
    const overflow = () => document.documentElement.scrollWidth - window.innerWidth;
    for (let i = 0; i < 20 && overflow() > 0; i++) await new Promise(done => setTimeout(done, 50));
    const nav = document.querySelector('nav.navbar');
    const items = [...document.querySelectorAll('#nav > *, #nav > ul > li')]
        .map(e => e.getBoundingClientRect()).filter(r => r.height > 0);
    const form = document.querySelector('#filter-form');
    const box = form && form.getBoundingClientRect();
    return {overflow: overflow(),
            bar: nav && {height: nav.getBoundingClientRect().height,
                         top: Math.min(...items.map(r => r.top)), bottom: Math.max(...items.map(r => r.bottom))},
            filters: !!box && box.width > 0 && box.height > 0 && getComputedStyle(form).visibility !== 'hidden'};
}"""
ONE_ROW = 64  # px: a Bootstrap navbar with small controls is 57 px high


@pytest.fixture
def workday(manager):
    """A client of ``manager`` with a deal, an order with a line, an interaction and a task."""
    client = CounterpartyFactory(main_manager=manager)
    deal = DealFactory(counterparty=client, responsible=manager)
    order = OrderFactory(counterparty=client, responsible=manager, deal=deal)
    OrderLineFactory(order=order, product="Труба стальная электросварная 219×6 ГОСТ 10704-91")
    InteractionFactory(counterparty=client, responsible=manager)
    TaskFactory(author=manager, assignee=manager, counterparty=client)
    return client, order


def _pages(page, extra):
    return [*page.evaluate(MENU_LINKS), *extra]


def _problems(page, where, width, url, errors):
    found = []
    seen = page.evaluate(MEASURE)
    if seen["overflow"] > 0:
        found.append(f"{where}: scrolls sideways by {seen['overflow']}px")
    if errors:
        found.append(f"{where}: console errors {errors}")
    bar = seen["bar"]
    if width >= 992 and not url.startswith("/admin/"):
        if bar is None or bar["height"] > ONE_ROW or bar["bottom"] - bar["top"] > ONE_ROW - 16:
            found.append(f"{where}: the bar is not one row {bar}")
    if width < 992 and seen["filters"]:
        found.append(f"{where}: the filters are not folded")
    return found


def _check_every_page(browser, live_server, username, extra, languages=LANGUAGES):
    """Problems on the pages of ``username``'s navigation and ``extra``."""
    problems = []
    for lang in languages:
        context = browser.new_context(base_url=live_server.url, locale="en-US")
        context.set_default_timeout(15_000)
        context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": live_server.url}])
        page = context.new_page()
        errors = []
        page.on("console", lambda msg, errors=errors: msg.type == "error" and errors.append(msg.text))
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})
        page.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        urls = _pages(page, extra)
        assert len(urls) >= 8, urls
        size = SIZES[0]
        for n, url in enumerate(urls):
            # One load per page; the layout reflows when the viewport changes (the folding of the
            # filters and the bar are CSS), so each size is checked on the same document. Every
            # other page starts from the narrow size: the page loads at the size the last one ended.
            errors.clear()
            page.goto(url)
            for width, height in SIZES if n % 2 == 0 else SIZES[::-1]:
                if (width, height) != size:
                    page.set_viewport_size({"width": width, "height": height})
                    size = (width, height)
                problems.extend(_problems(page, f"{username} {lang} {width}px {url}", width, url, errors))
        context.close()
    return problems


def test_every_page_fits_without_sideways_scrolling(browser, live_server, workday, manager, head):
    client, order = workday
    extra = [client.get_absolute_url(), order.get_absolute_url(), f"/sales/orders/{order.pk}/edit/"]
    problems = _check_every_page(browser, live_server, manager.username, extra)
    problems += _check_every_page(browser, live_server, head.username, extra, languages=["ru"])
    assert not problems, "\n".join(problems)
