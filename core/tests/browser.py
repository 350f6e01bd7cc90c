"""Playwright fixtures for tests marked ``browser``: pages run in a real headless Chromium.

A test module enables them with ``pytest_plugins = ["core.tests.browser"]``. The browser is the
Debian Chromium (``KLIENTURA_CHROMIUM`` or /usr/bin/chromium): Playwright never downloads one.
"""

import os
import shutil

import pytest

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path():
    configured = os.environ.get("KLIENTURA_CHROMIUM")  # when set, it is the only candidate
    candidates = [configured] if configured else ["/usr/bin/chromium", shutil.which("chromium")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


@pytest.hookimpl(trylast=True)  # after pytest-django's own reordering
def pytest_collection_modifyitems(items):
    # Playwright's sync API keeps an asyncio loop running in the test thread until the session
    # ends, and Django refuses ORM calls while a loop runs. Running browser tests last (a stable
    # sort, identical on every xdist worker) keeps that loop away from all other tests.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def browser(django_db_setup):
    """One Chromium per test process, started after the test database exists."""
    path = chromium_path()
    if path is None:
        where = os.environ.get("KLIENTURA_CHROMIUM") or "/usr/bin/chromium"
        message = f"no Chromium at {where}: install the Debian package chromium or set KLIENTURA_CHROMIUM"
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(message, pytrace=False)  # CI must really run the browser tests
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as mp:
        # Needed for as long as Playwright's loop runs (set-up, test body and database flush of
        # the browser tests, which run last), and only then.
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            # launch() gives every browser a fresh temporary user-data-dir of its own.
            chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
            yield chromium
            chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies, English UI) on the live server."""
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def console(page):
    """Every console message ("type: text") and uncaught script error of ``page``, in order."""
    lines = []
    page.on("console", lambda msg: lines.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: lines.append(f"pageerror: {exc}"))
    return lines


@pytest.fixture
def log_in(page):
    """Log in through the login form; the factories' users share one password."""

    def log_in(username, password="Secret-pass-123"):
        page.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("form button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)

    return log_in
