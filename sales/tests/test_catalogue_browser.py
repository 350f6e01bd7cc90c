"""Picking a catalogue product on an order line in a real browser fills its name, price and cost."""

from decimal import Decimal as D

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from clients.tests.factories import CounterpartyFactory
from sales.models import OrderLine, Product
from sales.tests.factories import OrderFactory

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pick_a_product_on_an_order_line(page, console, log_in, manager):
    product = Product.objects.create(name="Горка «Арго» 2,5 м", article="ГХ-АР-250", price=D("275300"),
                                     cost=D("192700"))
    order = OrderFactory(counterparty=CounterpartyFactory(main_manager=manager), responsible=manager,
                         number="A-7")
    log_in(manager.username)
    page.goto(reverse("sales:order_edit", args=[order.pk]))
    page.select_option("#id_lines-0-catalog_product", str(product.pk))
    expect(page.locator("#id_lines-0-product")).to_have_value("Горка «Арго» 2,5 м")
    expect(page.locator("#id_lines-0-price")).to_have_value("275300.00")
    expect(page.locator("#id_lines-0-cost")).to_have_value("192700.00")
    page.fill("#id_lines-0-price", "270000")  # still editable
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(lambda url: "/edit/" not in url)
    line = OrderLine.objects.get(order=order)
    assert (line.catalog_product_id, line.price, line.cost) == (product.pk, D("270000"), D("192700"))
    assert [c for c in console if "Content Security Policy" in c or c.startswith("pageerror")] == []
