"""Equipment and service: installation deadlines on the working calendar, reminders sent once,
visits in the engineers' calendar, planning visits, consultations and access."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from activities.models import Interaction, Notification, Task
from clients.tests.factories import CounterpartyFactory
from core import calendar
from core.working_time import is_working_day
from sales.tests.factories import DealFactory, OrderFactory, OrderLineFactory, ShipmentFactory
from service import equipment_services as services
from service.equipment_tasks import service_end_reminders
from service.models import Equipment, ServiceContract, ServiceVisit

from .equipment_factories import make_contract, make_equipment, make_visit, shared_product

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture
def client_of(manager):
    return CounterpartyFactory(main_manager=manager, name="Гастроном №1")


# --- Installation task ------------------------------------------------------------------------

def test_installation_deadline_skips_the_weekend_and_a_public_holiday(client_of, manager, service, client_for):
    # Thursday 11 June 2026; Friday 12 June is Russia Day, then the weekend.
    assert not is_working_day(dt.date(2026, 6, 12)) and is_working_day(dt.date(2026, 6, 15))
    make_contract(client_of, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), installation_days=2,
                  engineer=service)
    order = OrderFactory(counterparty=client_of, responsible=manager, date=dt.date(2026, 6, 11), number="З-7")
    with time_machine.travel(dt.datetime(2026, 6, 11, 11, tzinfo=MSK), tick=False):
        response = client_for(manager).post(reverse("service:order_installation", args=[order.pk]))
        assert response.status_code == 302
        again = client_for(manager).post(reverse("service:order_installation", args=[order.pk]))
        assert again.status_code == 302
    task = Task.objects.get()  # the second click found the first task
    # Thu 11 → (Fri 12 holiday, Sat, Sun) Mon 15 → Tue 16, at the end of the working day
    assert task.deadline == dt.datetime(2026, 6, 16, 18, tzinfo=MSK)
    assert task.assignee == service and task.author == manager and task.counterparty == client_of
    assert "З-7" in task.title


def test_installation_counts_from_the_planned_shipment_with_the_default_deadline(client_of, manager, service):
    order = OrderFactory(counterparty=client_of, responsible=manager, date=dt.date(2026, 6, 1))
    line = OrderLineFactory(order=order, product="Камера", quantity=Decimal(1), price=Decimal(100))
    ShipmentFactory(line=line, order=order, kind="planned", date=dt.date(2026, 6, 5))  # a Friday
    with time_machine.travel(dt.datetime(2026, 6, 1, 11, tzinfo=MSK), tick=False):
        task, created = services.create_installation_task(order, manager)
        assert created and services.create_installation_task(order, manager) == (task, False)
    # No contract: 5 working days after Fri 5 June, past the weekend and Russia Day (Fri 12 June)
    assert task.deadline == dt.datetime(2026, 6, 15, 18, tzinfo=MSK)
    assert task.assignee == service


def test_the_order_card_offers_the_installation_task(client_of, manager, client_for):
    order = OrderFactory(counterparty=client_of, responsible=manager)
    html = client_for(manager).get(order.get_absolute_url()).content.decode()
    assert 'data-testid="installation-create"' in html


# --- Reminders --------------------------------------------------------------------------------

def test_end_reminders_are_sent_once(client_of, manager, service, settings):
    settings.KLIENTURA_SERVICE_REMIND_DAYS = 30
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=MSK), tick=False):
        contract = make_contract(client_of, start=dt.date(2025, 4, 1), end=dt.date(2026, 3, 20))
        unit = make_equipment(client_of, installed_on=dt.date(2025, 3, 1), warranty_until=dt.date(2026, 3, 25),
                              contract=contract)
        make_equipment(client_of, warranty_until=dt.date(2026, 6, 1))  # not yet
        assert service_end_reminders.call() == 2
        assert service_end_reminders.call() == 0  # the second run sends nothing
    notes = Notification.objects.order_by("source")
    assert sorted(n.user.username for n in notes) == ["manager1", "manager1", "service", "service"]
    assert all(str(unit.serial_number) in n.text or "SC-" in n.text for n in notes)
    # A moved warranty is a new end date: reminded again, once.
    unit.warranty_until = dt.date(2026, 3, 28)
    unit.save()
    with time_machine.travel(dt.datetime(2026, 3, 3, 9, tzinfo=MSK), tick=False):
        assert services.send_end_reminders() == 1
        assert services.send_end_reminders() == 0
    assert Notification.objects.count() == 6


# --- Calendar and planned visits --------------------------------------------------------------

def test_visits_are_in_the_engineers_calendar(client_of, manager, teammate, service):
    unit = make_equipment(client_of)
    visit = make_visit(unit, engineer=service)
    cancelled = make_visit(unit, engineer=service, state=ServiceVisit.State.CANCELLED)
    start, end = calendar.day_bounds(dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    keys = {ev.key for ev in calendar.events_for(service, service, start, end)}
    assert f"service_visit-{visit.pk}" in keys and f"service_visit-{cancelled.pk}" not in keys
    event = calendar.event_of(service, "service_visit", visit)
    assert event.movable and event.counterparty_name == "Гастроном №1"
    # Another manager looking at the engineer's calendar does not see a client not theirs.
    assert not calendar.events_for(teammate, service, start, end)
    # Moved by dragging, the end follows.
    calendar.reschedule(service, "service_visit", visit.pk, visit.version, dt.datetime(2026, 3, 3, 12, tzinfo=MSK))
    visit.refresh_from_db()
    assert visit.planned_end - visit.planned_start == dt.timedelta(hours=2)


def test_plan_visits_spreads_them_over_the_period_once(client_of, service, client_for):
    contract = make_contract(client_of, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), visits_per_year=4,
                             engineer=service)
    url = reverse("service:contract_plan_visits", args=[contract.pk])
    assert client_for(service).post(url).status_code == 302
    assert client_for(service).post(url).status_code == 302
    # 365 days / 4: each visit in the middle of its quarter (day 45, 136, 228, 319 of the year)
    days = [timezone_day(v.planned_start) for v in ServiceVisit.objects.filter(contract=contract)]
    assert days == [dt.date(2026, 2, 15), dt.date(2026, 5, 17), dt.date(2026, 8, 17), dt.date(2026, 11, 16)]
    assert set(ServiceVisit.objects.values_list("engineer", flat=True)) == {service.pk}


def timezone_day(moment):
    return moment.astimezone(MSK).date()


# --- Consultations ----------------------------------------------------------------------------

def test_a_consultation_is_an_interaction_on_the_equipment(client_of, service, client_for):
    unit = make_equipment(client_of)
    url = reverse("service:equipment_consultation", args=[unit.pk])
    assert client_for(service).post(url, {"subject": ""}).status_code == 400
    assert client_for(service).post(url, {"subject": "Наледь на испарителе", "minutes": "10"}).status_code == 302
    call = Interaction.objects.get()
    assert call.basis == unit and call.type.code == "incoming_call" and call.state == "done"
    assert call.responsible == service and call.counterparty == client_of
    assert call.basis_type == ContentType.objects.get_for_model(Equipment)
    assert "Наледь на испарителе" in client_for(service).get(unit.get_absolute_url()).content.decode()


# --- Validation and access --------------------------------------------------------------------

def test_validation_gives_field_errors(client_of, service, client_for):
    c = client_for(service)
    bad = c.post(reverse("service:equipment_add"), {
        "product": shared_product().pk, "serial_number": "X1", "counterparty": client_of.pk,
        "installed_on": "2026-03-01", "warranty_until": "2026-02-01"})
    assert bad.status_code == 400 and "The warranty ends before the installation date." in bad.content.decode()
    make_equipment(client_of, serial_number="DUP")
    dup = c.post(reverse("service:equipment_add"), {"product": shared_product().pk, "serial_number": "DUP",
                                                     "counterparty": client_of.pk})
    assert dup.status_code == 400 and "Another unit has this serial number." in dup.content.decode()
    contract = c.post(reverse("service:contract_add"), {
        "number": "1", "counterparty": client_of.pk, "start": "2026-03-01", "end": "2026-02-01",
        "visits_per_year": 4, "response_hours": 8, "installation_days": 5, "amount": "0", "currency": "RUB"})
    assert contract.status_code == 400 and "The contract ends before it starts." in contract.content.decode()
    unit = make_equipment(client_of)
    visit = c.post(reverse("service:visit_add"), {
        "equipment": unit.pk, "kind": "repair", "planned_start": "2026-03-02T10:00", "planned_end": "2026-03-02T09:00",
        "state": "planned"})
    assert visit.status_code == 400 and "The visit ends before it starts." in visit.content.decode()


def test_service_engineer_keeps_equipment_and_visits_but_not_deals(client_of, manager, service, client_for):
    c = client_for(service)
    created = c.post(reverse("service:equipment_add"), {
        "product": shared_product().pk, "serial_number": "SN-77", "counterparty": client_of.pk,
        "installed_on": "2026-01-10", "warranty_until": "2027-01-10"})
    assert created.status_code == 302
    unit = Equipment.objects.get(serial_number="SN-77")
    visit = c.post(reverse("service:visit_add"), {
        "equipment": unit.pk, "kind": "repair", "planned_start": "2026-03-02T10:00", "state": "planned",
        "engineer": service.pk})
    assert visit.status_code == 302
    assert ServiceVisit.objects.get().counterparty == client_of
    deal = DealFactory(counterparty=client_of, responsible=manager)
    assert c.get(reverse("sales:deal_edit", args=[deal.pk])).status_code in (403, 404)


def test_sales_manager_sees_only_their_clients_equipment(client_of, manager, teammate, client_for):
    mine = make_equipment(client_of, serial_number="MINE-1")
    other = make_equipment(CounterpartyFactory(main_manager=teammate), serial_number="THEIRS-1")
    html = client_for(manager).get(reverse("service:equipment_list")).content.decode()
    assert "MINE-1" in html and "THEIRS-1" not in html
    assert client_for(manager).get(other.get_absolute_url()).status_code == 404
    assert client_for(manager).get(mine.get_absolute_url()).status_code == 200
    tab = client_for(manager).get(reverse("service:card_equipment", args=[client_of.pk])).content.decode()
    assert "MINE-1" in tab
    assert ServiceContract.objects.restrict(manager).count() == 0


# --- API actions ------------------------------------------------------------------------------

def test_api_plans_visits_once_and_logs_a_consultation(client_of, service, teammate, api):
    contract = make_contract(client_of, visits_per_year=4, engineer=service)
    url = f"/api/service-contracts/{contract.pk}/plan-visits/"
    assert api(service).post(url).json() == {"created": 4}
    assert api(service).post(url).json() == {"created": 0}  # idempotent
    assert ServiceVisit.objects.filter(contract=contract).count() == 4
    assert api(teammate).post(url).status_code == 404  # another manager's client

    unit = make_equipment(client_of)
    url = f"/api/equipment/{unit.pk}/consultations/"
    resp = api(service).post(url, {"subject": ""}, format="json")
    assert resp.status_code == 400 and "subject" in resp.json()
    assert api(service).post(url, {"subject": "x", "minutes": -1}, format="json").status_code == 400
    resp = api(service).post(url, {"subject": "Наледь на испарителе", "minutes": 10}, format="json")
    assert resp.status_code == 201, resp.content
    call = Interaction.objects.get(pk=resp.json()["interaction"])
    assert call.basis == unit and call.responsible == service and call.duration_minutes == 10
    assert api(teammate).post(url, {"subject": "x"}, format="json").status_code == 404


def test_api_creates_the_installation_task_once(client_of, manager, teammate, service, quality, api):
    make_contract(client_of, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), installation_days=2,
                  engineer=service)
    order = OrderFactory(counterparty=client_of, responsible=manager, date=dt.date(2026, 6, 11), number="З-8")
    url = "/api/equipment/installation/"
    with time_machine.travel(dt.datetime(2026, 6, 11, 11, tzinfo=MSK), tick=False):
        first = api(manager).post(url, {"order": order.pk}, format="json")
        assert first.status_code == 201, first.content
        again = api(manager).post(url, {"order": order.pk, "engineer": service.pk}, format="json")
    assert again.status_code == 200 and again.json() == {**first.json(), "created": False}
    task = Task.objects.get()
    body = first.json()
    assert body["task"] == task.pk and body["assignee"] == service.pk and body["created"] is True
    assert "З-8" in body["title"]
    # The same deadline as the order card's button: Thu 11 → (Russia Day, weekend) Tue 16 June, 18:00
    assert dt.datetime.fromisoformat(body["deadline"]) == dt.datetime(2026, 6, 16, 18, tzinfo=MSK)

    # Errors name the field; never a 500
    for bad in ({}, {"order": "x"}, {"order": 2**70}, {"order": None}):
        resp = api(manager).post(url, bad, format="json")
        assert resp.status_code == 400 and "order" in resp.json(), (bad, resp.content)
    other = OrderFactory(counterparty=client_of, responsible=manager)
    resp = api(manager).post(url, {"order": other.pk, "engineer": teammate.pk}, format="json")
    assert resp.status_code == 400 and "engineer" in resp.json()  # not a service engineer
    assert api(teammate).post(url, {"order": other.pk}, format="json").status_code == 400  # not their order
    assert api(service).post(url, {"order": other.pk}, format="json").status_code == 403  # may not change orders
    assert api(quality).post(url, {"order": other.pk}, format="json").status_code == 403
    assert Task.objects.count() == 1
    resp = api(manager).post(url, {"order": other.pk, "engineer": service.pk}, format="json")
    assert resp.status_code == 201 and resp.json()["assignee"] == service.pk


def test_api_installation_after_the_task_went_to_the_trash(client_of, manager, service, api):
    order = OrderFactory(counterparty=client_of, responsible=manager)
    url = "/api/equipment/installation/"
    first = api(manager).post(url, {"order": order.pk}, format="json").json()
    Task.objects.get(pk=first["task"]).delete()
    again = api(manager).post(url, {"order": order.pk}, format="json")
    assert again.status_code == 201 and again.json()["task"] != first["task"]
