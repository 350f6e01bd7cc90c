import pytest
from django.urls import reverse

from clients.models import Counterparty
from clients.tests.factories import ContactInfoFactory, CounterpartyFactory

pytestmark = pytest.mark.django_db


def test_list_card_edit_roundtrip(manager, client_for):
    cp = CounterpartyFactory(main_manager=manager, name="ООО Ромашка")
    ContactInfoFactory(counterparty=cp, value="+79035236645")
    c = client_for(manager)
    resp = c.get(reverse("clients:counterparty_list"), {"q": "8 (903) 523-66-45"})
    assert resp.status_code == 200
    assert "ООО Ромашка" in resp.content.decode()
    assert c.get(cp.get_absolute_url()).status_code == 200
    assert c.get(reverse("clients:counterparty_edit", args=[cp.pk])).status_code == 200
    assert c.get(reverse("clients:counterparty_history", args=[cp.pk])).status_code == 200
    assert c.get(reverse("clients:counterparty_add")).status_code == 200


def test_teammate_gets_404(manager, teammate, client_for):
    cp = CounterpartyFactory(main_manager=manager)
    c = client_for(teammate)
    assert c.get(cp.get_absolute_url()).status_code == 404
    assert Counterparty.objects.restrict(teammate).count() == 0
