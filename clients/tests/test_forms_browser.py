"""In a real browser with the Russian UI, saving the client and contact-person forms unchanged
keeps every date and writes no history (a date the browser cannot read would be cleared)."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from clients.models import ContactPerson, Counterparty
from clients.tests.factories import ContactPersonFactory, CounterpartyFactory
from core.models import PropertyKind, PropertyTarget
from core.tests.factories import CustomPropertyFactory

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY = dt.date(2022, 1, 31)


@pytest.fixture
def russian_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="ru-RU")
    context.add_cookies([{"name": "django_language", "value": "ru", "url": live_server.url}])
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _log_in(page, username):
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "Secret-pass-123")
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


def _history():
    return Counterparty.history.count() + ContactPerson.history.count()


def test_unchanged_save_in_russian_keeps_dates(russian_page, manager):
    page = russian_page
    CustomPropertyFactory(code="first_contact", name="Первый контакт", kind=PropertyKind.DATE,
                          target=PropertyTarget.COUNTERPARTY)
    cp = CounterpartyFactory(main_manager=manager, registered_on=DAY, properties={"first_contact": "2022-01-31"})
    person = ContactPersonFactory(counterparty=cp, birthday=DAY, linked_from=DAY, linked_to=DAY)
    history = _history()
    _log_in(page, manager.username)

    page.goto(f"/clients/{cp.pk}/edit/")
    expect(page.locator("#id_registered_on")).to_have_value("2022-01-31")  # the picker holds the date
    expect(page.locator("#id_prop_first_contact")).to_have_value("2022-01-31")
    expect(page.locator("#id_person-0-birthday")).to_have_value("2022-01-31")
    page.get_by_test_id("save").click()
    page.wait_for_url(lambda url: "/edit/" not in url)

    page.goto(f"/clients/persons/{person.pk}/edit/")
    for name in ("birthday", "linked_from", "linked_to"):
        expect(page.locator(f"#id_{name}")).to_have_value("2022-01-31")
    page.locator("form[method=post] button[type=submit].btn-primary").click()
    page.wait_for_url(lambda url: "/edit/" not in url)

    cp.refresh_from_db()
    person.refresh_from_db()
    assert cp.registered_on == DAY and cp.properties == {"first_contact": "2022-01-31"}
    assert person.birthday == person.linked_from == person.linked_to == DAY
    assert _history() == history
