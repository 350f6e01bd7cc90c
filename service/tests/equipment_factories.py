"""Factories of equipment, service contracts and visits, and their samples for the access matrix."""

import datetime

from django.utils import timezone

from clients.models import Counterparty
from core import access
from core.tests import samples
from sales.models import Order, Product

from ..models import Equipment, ServiceContract, ServiceVisit


def shared_product():
    # The catalogue is company-wide: no owner's token in its name.
    return Product.objects.get_or_create(name="Холодильная камера КХ-2", defaults={"price": 100000})[0]


def make_contract(counterparty, **kwargs):
    values = {"number": f"SC-{ServiceContract.all_objects.count() + 1}", "start": datetime.date(2026, 1, 1),
              "end": datetime.date(2026, 12, 31), "visits_per_year": 4, "currency": "RUB"}
    values.update(kwargs)
    return ServiceContract.objects.create(counterparty=counterparty, **values)


def make_equipment(counterparty, **kwargs):
    values = {"product": shared_product(), "serial_number": f"SN-{Equipment.all_objects.count() + 1}",
              "installed_on": datetime.date(2026, 1, 10), "warranty_until": datetime.date(2027, 1, 10)}
    values.update(kwargs)
    return Equipment.objects.create(counterparty=counterparty, **values)


def make_visit(equipment=None, contract=None, **kwargs):
    start = timezone.make_aware(datetime.datetime(2026, 3, 2, 10, 0))
    values = {"planned_start": start, "planned_end": start + datetime.timedelta(hours=2)}
    values.update(kwargs)
    return ServiceVisit.objects.create(equipment=equipment, contract=contract, **values)


@samples.sample(ServiceContract)
def contract_sample(world):
    return make_contract(world.get(Counterparty), number=world.text("contract"), notes=world.text("notes"))


@samples.sample(Equipment)
def equipment_sample(world):
    return make_equipment(world.get(Counterparty), serial_number=world.text("serial"),
                          contract=world.get(ServiceContract), address=world.text("address"))


@samples.sample(ServiceVisit)
def visit_sample(world):
    return make_visit(world.get(Equipment), world.get(ServiceContract), report=world.text("report"))


samples.probe("service:contract_plan_visits", method="post", action=access.CHANGE, target=ServiceContract)
samples.probe("service:equipment_consultation", method="post", action=access.CHANGE, target=Equipment,
              data=lambda world, equipment: {"subject": "Probe consultation"})
samples.probe("api:servicecontract-plan-visits", method="post", action=access.CHANGE, target=ServiceContract)
samples.probe("api:equipment-consultations", method="post", action=access.CHANGE, target=Equipment,
              data=lambda world, equipment: {"subject": "Probe consultation"})
# An order one may not change is not a valid choice there: 400 naming "order".
samples.probe("api:equipment-installation", method="post", action=access.CHANGE, target=Order,
              kwargs=lambda world: {}, extra={"api_denied": 400}, data=lambda world, order: {"order": order.pk})
samples.probe("service:order_installation", method="post", action=access.CHANGE, target=Order)
samples.probe("service:card_equipment", action=access.VIEW, target=Counterparty)
