"""An interaction's basis (the client's deal or order) is set in its form, scoped and checked."""

import pytest
from django.urls import reverse

from activities.models import Interaction
from activities.tests.factories import InteractionFactory, interaction_type
from clients.tests.factories import CounterpartyFactory
from core.tests.html_forms import as_post_data, find_form, form_values
from sales.tests.factories import DealFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(manager, teammate):
    cp, other = CounterpartyFactory(main_manager=manager), CounterpartyFactory(main_manager=manager)
    return {"cp": cp, "deal": DealFactory(counterparty=cp, responsible=manager, title="Котельная"),
            "order": OrderFactory(counterparty=cp, responsible=manager, number="З-17"),
            "elsewhere": DealFactory(counterparty=other, responsible=manager, title="Склад"),
            "foreign": DealFactory(counterparty=CounterpartyFactory(main_manager=teammate), responsible=teammate,
                                   title="Тайная сделка")}


def post(c, manager, cp, **extra):
    return c.post(reverse("activities:interaction_add"), {
        "type": interaction_type("meeting").pk, "direction": "out", "state": "planned", "importance": "normal",
        "subject": "Встреча", "counterparty": cp.pk, "responsible": manager.pk, "start": "2026-03-02T10:00",
        **extra})


def test_the_form_offers_the_clients_deals_and_orders(world, manager, client_for):
    c = client_for(manager)
    page = c.get(reverse("activities:interaction_add"), {"counterparty": world["cp"].pk}).content.decode()
    assert f'value="sales.deal:{world["deal"].pk}"' in page and f'value="sales.order:{world["order"].pk}"' in page
    assert "Склад" not in page and "Тайная сделка" not in page
    options = c.get(reverse("activities:interaction_basis"), {"counterparty": world["foreign"].counterparty_id})
    assert "Тайная сделка" not in options.content.decode()


@pytest.mark.parametrize("basis", ["deal", "order"])
def test_basis_is_saved_and_reshown(world, manager, client_for, basis):
    c = client_for(manager)
    key = f"sales.{basis}:{world[basis].pk}"
    assert post(c, manager, world["cp"], basis=key).status_code == 302
    item = Interaction.objects.get()
    assert item.basis == world[basis]
    page = c.get(reverse("activities:interaction_edit", args=[item.pk])).content.decode()
    assert f'value="{key}" selected' in page


@pytest.mark.parametrize("name", ["elsewhere", "foreign"])
def test_basis_of_another_client_or_a_teammate_is_refused(world, manager, client_for, name):
    resp = post(client_for(manager), manager, world["cp"], basis=f"sales.deal:{world[name].pk}")
    assert resp.status_code == 400 and "basis" in resp.context["form"].errors
    assert "Тайная сделка" not in resp.content.decode()
    assert not Interaction.objects.exists()


def test_clearing_the_basis(world, manager, client_for):
    item = InteractionFactory(counterparty=world["cp"], responsible=manager, basis=world["deal"])
    c = client_for(manager)
    url = reverse("activities:interaction_edit", args=[item.pk])
    data = as_post_data(form_values(find_form(c.get(url).content.decode())))
    assert data["basis"] == [f"sales.deal:{world['deal'].pk}"]
    data["basis"] = [""]
    assert c.post(url, data).status_code == 302
    item.refresh_from_db()
    assert item.basis_type_id is None and item.basis_id is None
