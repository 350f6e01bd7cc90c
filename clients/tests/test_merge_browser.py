"""The duplicates page and the merge screen in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from clients import duplicates
from clients.models import Counterparty
from clients.tests.factories import ContactPersonFactory, CounterpartyFactory, valid_inn

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_merge_a_pair_from_the_duplicates_page(page, console, log_in, manager):
    survivor = CounterpartyFactory(main_manager=manager, name="ООО «Ромашка»", tax_id=valid_inn(7), city="")
    merged = CounterpartyFactory(main_manager=manager, name="Ромашка-Холод", tax_id=valid_inn(7), city="Тверь")
    ContactPersonFactory(counterparty=merged, last_name="Петров")
    duplicates.scan()

    log_in(manager.username)
    page.goto("/clients/")
    page.get_by_test_id("clients-menu").click()
    page.get_by_test_id("nav-duplicates").click()
    pairs = page.get_by_test_id("duplicate-pairs")
    expect(pairs).to_contain_text("Ромашка-Холод")
    expect(pairs).to_contain_text("same tax id")
    pairs.get_by_role("link", name="Merge").click()
    expect(page).to_have_url(re.compile(rf"/clients/{survivor.pk}/merge/{merged.pk}/$"))

    form = page.get_by_test_id("merge-form")
    form.locator('input[name="name"][value="merged"]').check()
    page.get_by_test_id("merge-preview-button").click()
    preview = page.get_by_test_id("merge-preview")
    expect(preview).to_contain_text("Тверь")  # the survivor's city was empty
    expect(preview).to_contain_text("Contact persons: 1")
    page.get_by_test_id("merge-confirm").click()

    expect(page.get_by_test_id("card-title")).to_have_text("Ромашка-Холод")
    assert Counterparty.all_objects.get(pk=merged.pk).merged_into_id == survivor.pk
    page.goto(f"/clients/{survivor.pk}/?tab=persons")
    expect(page.locator("body")).to_contain_text("Петров")
    assert [line for line in console if "Content Security Policy" in line or line.startswith("pageerror")] == []
