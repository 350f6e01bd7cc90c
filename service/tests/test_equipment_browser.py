"""A service engineer opens a client's equipment from the client card, logs a phone
consultation on it and sees it listed on the equipment card."""

import pytest
from playwright.sync_api import expect

from activities.models import Interaction
from clients.tests.factories import CounterpartyFactory

from .equipment_factories import make_equipment

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_log_a_consultation_on_the_equipment_card(page, console, log_in, manager, service):
    client = CounterpartyFactory(name="Магазин «Север»", main_manager=manager)
    unit = make_equipment(client, serial_number="LD-26-0010", address="Тверь, ул. Советская, 5")

    log_in(service.username)
    page.goto(client.get_absolute_url() + "?tab=equipment")
    page.get_by_test_id("equipment-tab").click()
    page.get_by_test_id(f"card-equipment-{unit.pk}").get_by_role("link", name="LD-26-0010").click()
    expect(page.get_by_test_id("equipment-title")).to_contain_text("LD-26-0010")
    form = page.get_by_test_id("consultation-form")
    form.locator("[name=subject]").fill("Наледь на испарителе")
    form.locator("[name=content]").fill("Запустить ручную оттайку, проверить дренаж.")
    form.locator("[name=minutes]").fill("12")
    page.get_by_test_id("consultation-save").click()
    expect(page.get_by_test_id("consultations")).to_contain_text("Наледь на испарителе")
    call = Interaction.objects.get()
    assert call.basis == unit and call.responsible == service and call.duration_minutes == 12
    assert not [line for line in console if line.startswith(("error", "pageerror"))]
