"""The client type-ahead in a real browser: type part of a name, pick the suggestion, save."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from activities.models import Task
from clients.tests.factories import CounterpartyFactory
from sales.tests.factories import DealFactory

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def problems(console):
    return [line for line in console if "Content Security Policy" in line or line.startswith("pageerror")]


def test_pick_a_client_in_the_task_form(page, console, log_in, manager, teammate):
    mine = CounterpartyFactory(main_manager=manager, name="ООО Ромашка", city="Тверь")
    CounterpartyFactory(main_manager=teammate, name="ООО Ромашка Плюс")
    log_in(manager.username)
    page.goto(reverse("activities:task_add"))
    page.fill("#id_title", "Call back")
    box = page.locator("#id_counterparty")
    box.press_sequentially("ромаш", delay=30)
    listbox = page.locator("#id_counterparty-listbox")
    expect(listbox).to_be_visible()
    options = listbox.get_by_role("option")
    expect(options).to_have_count(1)  # the teammate's namesake is never suggested
    expect(options.first).to_contain_text("Тверь")
    box.press("ArrowDown")
    box.press("Enter")  # chooses, does not submit
    expect(box).to_have_value("ООО Ромашка")
    expect(listbox).to_be_hidden()
    expect(page.locator("input[name=counterparty]")).to_have_value(str(mine.pk))
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(lambda url: "/add/" not in url)
    assert Task.objects.get().counterparty == mine
    assert problems(console) == []


def test_order_deals_follow_the_chosen_client(page, console, log_in, manager):
    first = CounterpartyFactory(main_manager=manager, name="Альфа")
    second = CounterpartyFactory(main_manager=manager, name="Бета")
    DealFactory(counterparty=first, responsible=manager, title="Сделка Альфы")
    DealFactory(counterparty=second, responsible=manager, title="Сделка Беты")
    log_in(manager.username)
    page.goto(reverse("sales:order_add"))
    deal = page.locator("#id_deal")
    expect(deal.locator("option")).to_have_count(1)  # no client, no deals
    box = page.locator("#id_counterparty")
    box.press_sequentially("Бета", delay=30)
    page.locator("#id_counterparty-listbox").get_by_role("option").first.click()
    expect(box).to_have_value("Бета")
    expect(page.locator("#id_deal option")).to_have_text(["---------", "Сделка Беты"])
    box.fill("")
    box.press_sequentially("Альф", delay=30)
    page.locator("#id_counterparty-listbox").get_by_role("option").first.click()
    expect(page.locator("#id_deal option")).to_have_text(["---------", "Сделка Альфы"])
    assert problems(console) == []
