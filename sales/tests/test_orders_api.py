"""Orders API: scoping per role, writes validated like the UI (totals, shipments, payments, failure)."""

import datetime as dt
from decimal import Decimal as D

import pytest

from clients.tests.factories import CounterpartyFactory
from sales.models import Order, OrderFailureReason, OrderLine, Payment, Shipment
from sales.services import orders as service
from sales.tests.factories import OrderFactory, OrderLineFactory, PaymentFactory, ShipmentFactory

pytestmark = pytest.mark.django_db


def make_order(responsible, name, lines=((5, 100, 60),)):
    cp = CounterpartyFactory(main_manager=responsible, name=name)
    order = OrderFactory(counterparty=cp, responsible=responsible)
    made = [OrderLineFactory(order=order, quantity=D(q), price=D(p), cost=D(c)) for q, p, c in lines]
    service.recalc(order)
    return order, made


@pytest.fixture
def owned(manager, teammate):
    mine, (line,) = make_order(manager, "Mine Ltd")
    theirs, (their_line,) = make_order(teammate, "Theirs Ltd")
    return mine, line, theirs, their_line


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_lists_and_details_are_scoped(api, owned, manager, teammate, admin_user):
    mine, line, theirs, their_line = owned
    ShipmentFactory(line=line, order=mine, quantity=1)
    ShipmentFactory(line=their_line, order=theirs, quantity=1)
    PaymentFactory(order=mine), PaymentFactory(order=theirs)
    for path, model in (("/api/orders/", Order), ("/api/order-lines/", OrderLine),
                        ("/api/shipments/", Shipment), ("/api/payments/", Payment)):
        own = {Order: {mine.pk}, OrderLine: {line.pk}}.get(model) or set(
            model.objects.filter(order=mine).values_list("pk", flat=True))
        assert ids(api(manager).get(path)) == own, path
        assert len(ids(api(admin_user).get(path))) == 2, path
        other = model.objects.exclude(pk__in=own).get()
        assert api(manager).get(f"{path}{other.pk}/").status_code == 404, path
        assert api(manager).patch(f"{path}{other.pk}/", {"version": other.version}, format="json").status_code == 404
        assert api(manager).delete(f"{path}{other.pk}/").status_code == 404, path
        assert api(teammate).get(f"{path}{other.pk}/").status_code == 200, path


def test_order_detail_has_lines_and_analysis(api, owned, manager, django_assert_max_num_queries):
    mine, line, _theirs, _ = owned
    ShipmentFactory(line=line, order=mine, quantity=2)
    PaymentFactory(order=mine, amount=D("300"))
    PaymentFactory(order=mine, kind="planned", amount=D("500"), date=dt.date(2026, 3, 10))
    data = api(manager).get(f"/api/orders/{mine.pk}/").json()
    assert data["amount"] == "500.00" and data["cost"] == "300.00"
    assert data["analysis"] == {"ordered": "500.00", "shipped": "200.00", "left": "300.00", "paid": "300.00",
                                "invoiced": "500.00", "owed": "200.00", "debt": "0.00", "fully_shipped": False,
                                "fully_paid": False}
    (row,) = data["lines"]
    assert (row["id"], row["shipped_quantity"], row["left_quantity"], row["paid"]) == (line.pk, "2.000", "3.000",
                                                                                      "300.00")
    for i in range(5):
        make_order(manager, f"More {i}", lines=((1, 10, 0), (2, 20, 0)))
    with django_assert_max_num_queries(6):  # a page: orders, lines, payments (+ session/auth), not per order
        assert len(ids(api(manager).get("/api/orders/"))) == 6


def test_order_create_and_line_writes_recalculate_totals(api, manager):
    cp = CounterpartyFactory(main_manager=manager)
    client = api(manager)
    response = client.post("/api/orders/", {"counterparty": cp.pk, "date": "2026-03-02"}, format="json")
    assert response.status_code == 201, response.json()
    order = Order.objects.get(pk=response.json()["id"])
    assert (order.responsible, order.number, order.amount) == (manager, str(order.pk), D("0"))
    response = client.post("/api/order-lines/", {"order": order.pk, "product": "Pump", "quantity": "2",
                                                 "price": "150.50", "cost": "100"}, format="json")
    assert response.status_code == 201, response.json()
    line = OrderLine.objects.get(pk=response.json()["id"])
    order.refresh_from_db()
    assert (order.amount, order.cost) == (D("301.00"), D("200.00"))
    client.patch(f"/api/order-lines/{line.pk}/", {"quantity": "3", "version": line.version}, format="json")
    order.refresh_from_db()
    assert order.amount == D("451.50")
    ShipmentFactory(line=line, order=order, quantity=2)
    line.refresh_from_db()
    response = client.patch(f"/api/order-lines/{line.pk}/", {"quantity": "1", "version": line.version},
                            format="json")
    assert response.status_code == 400 and "quantity" in response.json()
    assert client.delete(f"/api/order-lines/{line.pk}/").status_code == 400  # it has been shipped
    Shipment.objects.all().delete()
    assert client.delete(f"/api/order-lines/{line.pk}/").status_code == 204
    order.refresh_from_db()
    assert order.amount == D("0")
    # A totals-only change is not possible: they are read-only and recalculated after every save.
    response = client.patch(f"/api/orders/{order.pk}/", {"amount": "999", "comment": "x",
                                                         "version": order.version}, format="json")
    assert response.status_code == 200 and response.json()["amount"] == "0.00"


def test_shipment_over_quantity_is_a_400_naming_the_field(api, owned, manager):
    mine, line, _theirs, _ = owned
    client = api(manager)
    response = client.post("/api/shipments/", {"line": line.pk, "kind": "actual", "date": "2026-03-02",
                                               "quantity": "6"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"quantity": [f"Only 5 of “{line.product}” is left to ship: ordered 5, shipped 0."]}
    response = client.post("/api/shipments/", {"line": line.pk, "kind": "actual", "date": "2026-03-02",
                                               "quantity": "5"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["order"] == mine.pk  # taken from the line
    shipment = Shipment.objects.get()
    response = client.patch(f"/api/shipments/{shipment.pk}/", {"quantity": "5.5", "version": shipment.version},
                            format="json")
    assert response.status_code == 400 and "quantity" in response.json()


def test_payments_are_validated_and_complete_the_order(api, owned, manager):
    mine, line, _theirs, _ = owned
    client = api(manager)
    response = client.post("/api/payments/", {"order": mine.pk, "kind": "actual", "date": "2026-03-02",
                                              "amount": "0"}, format="json")
    assert response.status_code == 400 and "amount" in response.json()
    ShipmentFactory(line=line, order=mine, quantity=5)
    response = client.post("/api/payments/", {"order": mine.pk, "kind": "actual", "date": "2026-03-02",
                                              "amount": "500"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["reminder_task"] is None
    mine.refresh_from_db()
    assert mine.state == Order.State.COMPLETED  # fully shipped and paid


def test_failing_without_reason_is_a_400(api, owned, manager):
    mine = owned[0]
    client = api(manager)
    response = client.patch(f"/api/orders/{mine.pk}/", {"state": "failed", "version": mine.version}, format="json")
    assert response.status_code == 400
    assert response.json() == {"failure_reason": ["Say why the order fell through."]}
    reason = OrderFailureReason.objects.first()
    response = client.patch(f"/api/orders/{mine.pk}/", {"state": "failed", "failure_reason": reason.pk,
                                                        "version": mine.version}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "failed"
    response = client.patch(f"/api/orders/{mine.pk}/", {"state": "confirmed", "version": response.json()["version"]},
                            format="json")
    assert response.status_code == 200 and response.json()["failure_reason"] is None  # reopened


def test_teammate_cannot_write_into_anothers_order(api, owned, teammate):
    mine, line, _theirs, _ = owned
    client = api(teammate)
    assert client.post("/api/shipments/", {"line": line.pk, "kind": "actual", "date": "2026-03-02",
                                           "quantity": "1"}, format="json").status_code == 400
    assert client.post("/api/payments/", {"order": mine.pk, "kind": "actual", "date": "2026-03-02",
                                          "amount": "1"}, format="json").status_code == 400
    assert client.post("/api/order-lines/", {"order": mine.pk, "product": "X", "quantity": "1",
                                             "price": "1"}, format="json").status_code == 400
    assert not Shipment.objects.exists() and not Payment.objects.exists()
    assert OrderLine.objects.filter(order=mine).count() == 1
    response = client.post("/api/orders/", {"counterparty": mine.counterparty_id, "date": "2026-03-02"},
                           format="json")
    assert response.status_code == 400 and "counterparty" in response.json()


def test_failure_reasons_admin_writes_only(api, manager, admin_user):
    assert api(manager).get("/api/order-failure-reasons/").status_code == 200
    assert api(manager).post("/api/order-failure-reasons/", {"name": "X"}, format="json").status_code == 403
    assert api(admin_user).post("/api/order-failure-reasons/", {"name": "X"}, format="json").status_code == 201


def test_filters(api, owned, sales_head):
    mine, _line, theirs, _ = owned
    theirs.state = Order.State.DRAFT
    theirs.save()
    client = api(sales_head)
    assert ids(client.get("/api/orders/", {"state": "draft"})) == {theirs.pk}
    assert ids(client.get("/api/orders/", {"counterparty": mine.counterparty_id})) == {mine.pk}
    assert ids(client.get("/api/orders/", {"q": "Theirs"})) == {theirs.pk}
