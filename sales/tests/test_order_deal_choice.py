"""The order form offers only the chosen client's deals; the select follows the client (htmx)."""

import pytest
from django.urls import reverse

from clients.tests.factories import CounterpartyFactory
from sales.forms import OrderForm
from sales.models import Order
from sales.tests.factories import DealFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def deals(manager, teammate):
    cp, other = CounterpartyFactory(main_manager=manager), CounterpartyFactory(main_manager=manager)
    foreign = CounterpartyFactory(main_manager=teammate)
    return {"cp": cp, "other": other,
            "own": DealFactory(counterparty=cp, responsible=manager, title="Котельная"),
            "elsewhere": DealFactory(counterparty=other, responsible=manager, title="Склад"),
            "foreign": DealFactory(counterparty=foreign, responsible=teammate, title="Тайная сделка")}


def offered(form):
    return [deal.title for deal in form.fields["deal"].queryset]


def test_deal_choices_follow_the_client(deals, manager):
    assert offered(OrderForm(instance=Order(), user=manager)) == []  # no client yet
    assert offered(OrderForm(instance=Order(), user=manager, initial={"counterparty": deals["cp"].pk})) == ["Котельная"]
    bound = OrderForm({"counterparty": "", "counterparty_name": deals["other"].name}, instance=Order(), user=manager)
    assert offered(bound) == ["Склад"]  # a typed name counts too
    saved = Order(counterparty=deals["other"], responsible=manager)
    assert offered(OrderForm(instance=saved, user=manager)) == ["Склад"]


def test_deal_select_refresh_is_scoped(deals, manager, client_for):
    c = client_for(manager)
    url = reverse("sales:order_deals")
    body = c.get(url, {"counterparty": deals["cp"].pk, "deal": deals["own"].pk}).content.decode()
    assert "Котельная" in body and "Склад" not in body and f'value="{deals["own"].pk}" selected' in body
    assert 'hx-get="/sales/orders/deals/"' in body  # the swapped select keeps following the client
    foreign_cp = deals["foreign"].counterparty_id
    assert "Тайная сделка" not in c.get(url, {"counterparty": foreign_cp}).content.decode()
    assert c.get(url, {"counterparty": str(2**64)}).status_code == 200


def test_deal_of_another_client_is_a_field_error(deals, manager, client_for):
    data = {"date": "2026-03-02", "counterparty": deals["cp"].pk, "deal": deals["elsewhere"].pk,
            "responsible": manager.pk, "currency": "RUB", "state": "confirmed",
            "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"}
    resp = client_for(manager).post(reverse("sales:order_add"), data)
    assert resp.status_code == 400
    assert resp.context["form"].errors["deal"] == ["The deal is with another client."]
    resp = client_for(manager).post(reverse("sales:order_add"), {**data, "deal": deals["own"].pk})
    assert resp.status_code == 302 and Order.objects.get().deal == deals["own"]
