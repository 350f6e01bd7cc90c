"""The demo's installed equipment: units with contracts and a year of visits by the service user."""

import pytest

from core.tests import demo
from service.models import Equipment, ServiceContract, ServiceVisit


@pytest.fixture(scope="module")
def loaded(django_db_blocker):
    yield from demo.load_once(django_db_blocker)


@pytest.mark.django_db
def test_demo_has_equipment_contracts_and_visits(loaded):
    assert Equipment.objects.count() >= 12 and ServiceContract.objects.count() >= 6
    visits = ServiceVisit.objects.all()
    assert visits.filter(state="done").exists() and visits.filter(state="planned").exists()
    assert set(visits.values_list("engineer__username", flat=True)) == {"service"}
    assert all(v.counterparty_id == (v.equipment or v.contract).counterparty_id for v in visits)
    # Loading again adds nothing.
    before = Equipment.objects.count()
    demo.load()
    assert Equipment.objects.count() == before
