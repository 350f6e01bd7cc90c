"""Browser: a call rings on the manager's line, the caller's card pops up on the open page, once."""

import pytest
from playwright.sync_api import expect

from clients.models import ContactInfo, ContactKind
from clients.tests.factories import CounterpartyFactory
from integrations.telephony import services

from .telephony_factories import PhoneExtensionFactory

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def ring(call_id, number):
    from django.utils import timezone

    services.record_event({"call_id": call_id, "event": "ringing", "direction": "in", "from": number,
                           "to": "+74950000000", "extension": "101", "at": timezone.now()}, None)


def test_the_callers_card_pops_up_on_the_open_page(page, console, log_in, manager):
    PhoneExtensionFactory(extension="101", user=manager)
    client = CounterpartyFactory(main_manager=manager, name="Холод-Маркет")
    ContactInfo.objects.create(counterparty=client, kind=ContactKind.PHONE, value="+74951234567")
    log_in(manager.username)
    page.goto("/clients/")
    expect(page.get_by_test_id("call-popups")).to_be_attached()

    ring("b1", "8 (495) 123-45-67")
    popup = page.get_by_test_id("call-popup")
    expect(popup).to_have_count(1, timeout=15_000)
    expect(popup.get_by_test_id("call-popup-client")).to_have_text("Холод-Маркет")
    ring("b2", "+7 916 555-44-33")
    expect(page.get_by_test_id("call-popup-unknown")).to_have_count(1, timeout=15_000)
    expect(popup).to_have_count(2)  # the first one stays until closed; nothing is shown twice
    popup.first.get_by_role("button", name="Close").click()
    page.get_by_test_id("call-popup-client").click()
    page.wait_for_url(lambda url: client.get_absolute_url() in url)
    assert not [line for line in console if "error" in line.lower()], console


def test_on_a_phone_the_popup_shows_with_the_menu_collapsed(page, log_in, manager):
    """The bar collapses on narrow screens and hides what it holds: the pop-up is drawn outside it."""
    PhoneExtensionFactory(extension="101", user=manager)
    client = CounterpartyFactory(main_manager=manager, name="Мороз-Сервис")
    ContactInfo.objects.create(counterparty=client, kind=ContactKind.PHONE, value="+74951234568")
    page.set_viewport_size({"width": 390, "height": 800})
    log_in(manager.username)
    page.goto("/clients/")
    expect(page.locator("#nav")).to_be_hidden()
    ring("p1", "+7 495 123-45-68")
    expect(page.get_by_test_id("call-popup-client")).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("call-popup-client")).to_have_text("Мороз-Сервис")
