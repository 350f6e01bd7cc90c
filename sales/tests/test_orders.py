"""Orders: totals, shipment checks, order analysis (FIFO payments), states, payment reminders,
the calendar, and access to every page (owner manager, teammate, administrator)."""

import datetime as dt
import re
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from activities.models import Notification, Task
from clients.tests.factories import CounterpartyFactory
from core import calendar as cal
from core.models import ConflictError
from sales import tasks
from sales.models import Order, OrderFailureReason, OrderLine, Payment, Shipment
from sales.services import orders as service
from sales.tests.factories import (
    DealFactory,
    OrderFactory,
    OrderFailureReasonFactory,
    OrderLineFactory,
    PaymentFactory,
    ShipmentFactory,
)

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")


def msk(*args):
    return dt.datetime(*args, tzinfo=MSK)


def make_order(responsible, lines, *, counterparty=None, **kwargs):
    """An order of ``responsible``'s client with lines [(quantity, price, unit cost)], totals recalculated."""
    cp = counterparty or CounterpartyFactory(main_manager=responsible)
    order = OrderFactory(counterparty=cp, responsible=responsible, **kwargs)
    made = [OrderLineFactory(order=order, product=f"P{i}", quantity=D(q), price=D(p), cost=D(c))
            for i, (q, p, c) in enumerate(lines, start=1)]
    service.recalc(order)
    return order, made


def ship(line, quantity, kind="actual", date=None):
    return ShipmentFactory(line=line, order=line.order, kind=kind, quantity=D(quantity),
                           date=date or dt.date(2026, 3, 2))


def pay(order, amount, kind="actual", date=None, **kwargs):
    return PaymentFactory(order=order, kind=kind, amount=D(amount), date=date or dt.date(2026, 3, 2), **kwargs)


# --- Totals ------------------------------------------------------------------------------------

def test_recalc_keeps_amount_and_cost_in_sync_with_live_lines(manager):
    order, (l1, l2) = make_order(manager, [("2.5", "100.10", "60"), ("3", "0.35", "0.20")])
    order.refresh_from_db()
    assert (order.amount, order.cost) == (D("251.30"), D("150.60"))  # 250.25 + 1.05; 150 + 0.60
    version = order.version
    l2.delete()  # soft delete: no longer counted
    service.recalc(order)
    order.refresh_from_db()
    assert (order.amount, order.cost, order.version) == (D("250.25"), D("150.00"), version)  # no version bump
    OrderLine.objects.filter(order=order).delete()
    assert service.recalc(order).amount == D("0.00")


# --- Order analysis ------------------------------------------------------------------------------

@pytest.fixture
def analysed(manager):
    """Order A: lines 10 × 100, 5 × 200, 2 × 50 (= 2100).
    Shipped (actual) 4 + 2 of line 1, 5 of line 2; a plan of line 3 and a trashed shipment do not count.
    Received 700 + 800 = 1500 (an invoice of 2100 and a trashed receipt do not count).
    Order B: 1 × 100, nothing shipped, 150 received (overpaid)."""
    a, (l1, l2, l3) = make_order(manager, [(10, 100, 70), (5, 200, 150), (2, 50, 30)])
    ship(l1, 4), ship(l1, 2), ship(l2, 5), ship(l3, 2, kind="planned")
    ship(l3, 1).delete()
    pay(a, 700), pay(a, 800), pay(a, 2100, kind="planned")
    pay(a, 500).delete()
    b, (b1,) = make_order(manager, [(1, 100, 50)])
    pay(b, 150)
    return a, (l1, l2, l3), b


def test_analysis_per_line_and_per_order_with_fifo_payments(analysed, django_assert_num_queries):
    a, (l1, l2, l3), b = analysed
    orders = list(Order.objects.filter(pk__in=[a.pk, b.pk]).order_by("pk"))
    with django_assert_num_queries(2):  # the lines with their shipments, the payments: for any number of orders
        result = service.analysis(orders)
    item_a, item_b = result
    rows = [(r.line.pk, r.ordered_qty, r.ordered, r.shipped_qty, r.shipped, r.left_qty, r.left, r.paid, r.owed, r.debt)
            for r in item_a.lines]
    assert rows == [
        # The 1500 received go to the lines in order: 1000 to line 1, the other 500 to line 2.
        (l1.pk, 10, D("1000"), 6, D("600"), 4, D("400"), D("1000"), D("0"), D("0")),
        (l2.pk, 5, D("1000"), 5, D("1000"), 0, D("0"), D("500"), D("500"), D("500")),
        (l3.pk, 2, D("100"), 0, D("0"), 2, D("100"), D("0"), D("100"), D("0")),
    ]
    totals = (item_a.ordered, item_a.shipped, item_a.left, item_a.paid, item_a.invoiced, item_a.owed, item_a.debt)
    assert totals == (D("2100"), D("1600"), D("500"), D("1500"), D("2100"), D("600"), D("100"))
    assert not item_a.fully_shipped and not item_a.fully_paid and not item_a.done
    (row_b,) = item_b.lines
    assert (row_b.paid, row_b.owed, row_b.debt) == (D("100"), D("0"), D("0"))
    assert (item_b.paid, item_b.owed, item_b.debt, item_b.fully_paid) == (D("150"), D("-50"), D("0"), True)


def test_analysis_of_nothing_makes_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert service.analysis([]) == []


def test_card_and_analysis_page_show_the_numbers(analysed, client_for, manager):
    a = analysed[0]
    page = client_for(manager).get(f"/sales/orders/{a.pk}/").content.decode()
    total = re.search(r'data-testid="analysis-total">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", total)
    assert [c for c in cells if c.strip()][1:] == [
        "2,100.00 RUB", "1,600.00 RUB", "1,500.00 RUB", "600.00 RUB", "100.00 RUB"]
    report = client_for(manager).get("/sales/orders/analysis/", {"counterparty": a.counterparty_id})
    assert report.status_code == 200
    html = report.content.decode()
    assert f'data-testid="analysis-order-{a.pk}"' in html and f'analysis-order-{analysed[2].pk}"' not in html


def test_analysis_export(analysed, client_for, manager):
    from io import BytesIO

    from openpyxl import load_workbook

    a, _lines, b = analysed
    response = client_for(manager).get("/sales/orders/analysis/", {"export": "xlsx", "sort": "number"})
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("Order", "Date", "Client", "Currency", "Product")
    body = [r[4:] for r in rows[1:]]
    assert body == [
        ("P1", 10, 1000, 6, 600, 4, 400, 1000, 0, 0),
        ("P2", 5, 1000, 5, 1000, 0, 0, 500, 500, 500),
        ("P3", 2, 100, 0, 0, 2, 100, 0, 100, 0),
        ("Order total", None, 2100, None, 1600, None, 500, 1500, 600, 100),
        ("P1", 1, 100, 0, 0, 1, 100, 100, 0, 0),
        ("Order total", None, 100, None, 0, None, 100, 150, -50, 0),
    ]
    csv = client_for(manager).get("/sales/orders/analysis/", {"export": "csv"}).getvalue().decode()
    assert "Order total" in csv and a.counterparty.name in csv


# --- Shipments and payments -----------------------------------------------------------------------

def test_shipment_over_what_is_left_is_refused(manager):
    order, (line,) = make_order(manager, [(10, 100, 0)])
    ship(line, 7)
    with pytest.raises(ValidationError) as exc:
        service.save_shipment(Shipment(order=order, line=line, kind="actual", date=dt.date(2026, 3, 3),
                                       quantity=D("3.5")))
    assert exc.value.message_dict["quantity"] == ["Only 3 of “P1” is left to ship: ordered 10, shipped 7."]
    service.save_shipment(Shipment(order=order, line=line, kind="actual", date=dt.date(2026, 3, 3), quantity=3))
    # Plans are checked against the ordered quantity too, separately from the actual shipments.
    service.save_shipment(Shipment(order=order, line=line, kind="planned", date=dt.date(2026, 3, 9), quantity=10))
    with pytest.raises(ValidationError, match="left to plan"):
        service.save_shipment(Shipment(order=order, line=line, kind="planned", date=dt.date(2026, 3, 9),
                                       quantity=D("0.001")))
    assert Shipment.objects.filter(line=line).count() == 3


def test_shipment_form_names_the_line(manager, client_for):
    order, (line,) = make_order(manager, [(2, 100, 0)])
    c = client_for(manager)
    url = f"/sales/orders/{order.pk}/shipments/add/"
    data = {"shipment-line": line.pk, "shipment-kind": "actual", "shipment-date": "2026-03-02",
            "shipment-quantity": "3"}
    response = c.post(url, data)
    assert response.status_code == 400
    errors = re.findall(r'data-testid="shipment-error">([^<]*)<', response.content.decode())
    assert errors == ["Only 2 of “P1” is left to ship: ordered 2, shipped 0."]
    assert not Shipment.objects.exists()
    response = c.post(url, {**data, "shipment-quantity": "2"})
    assert response.status_code == 302 and response.url.endswith("#shipments")
    assert Shipment.objects.get().quantity == 2


def test_line_cannot_drop_below_shipped_nor_be_deleted(manager):
    order, (line,) = make_order(manager, [(5, 10, 0)])
    ship(line, 3)
    with pytest.raises(ValidationError, match="already been shipped"):
        service.check_line_change(line, quantity=D(2))
    with pytest.raises(ValidationError, match="cannot be deleted"):
        service.check_line_change(line, deleting=True)
    service.check_line_change(line, quantity=D(3))


def test_payment_must_be_above_zero(manager, client_for):
    order, _ = make_order(manager, [(1, 100, 0)])
    response = client_for(manager).post(f"/sales/orders/{order.pk}/payments/add/", {
        "payment-kind": "actual", "payment-date": "2026-03-02", "payment-amount": "0"})
    assert response.status_code == 400
    assert re.findall(r'data-testid="payment-error">([^<]*)<', response.content.decode())
    assert not Payment.objects.exists()
    with pytest.raises(ValidationError):
        service.save_payment(Payment(order=order, kind="actual", date=dt.date(2026, 3, 2), amount=D("-5")))


def test_marking_plans_done_creates_what_they_still_lack_and_completes_the_order(manager, client_for):
    order, (line,) = make_order(manager, [(10, 100, 0)])
    planned = ship(line, 6, kind="planned", date=dt.date(2026, 3, 5))
    ship(line, 2)  # 2 of the 6 planned are already out
    invoice = pay(order, 1000, kind="planned", date=dt.date(2026, 3, 10), invoice_number="15")
    pay(order, 400)
    c = client_for(manager)
    assert c.post(f"/sales/orders/shipments/{planned.pk}/done/").status_code == 302
    assert sorted(Shipment.objects.filter(kind="actual").values_list("quantity", flat=True)) == [2, 4]
    assert c.post(f"/sales/orders/payments/{invoice.pk}/done/").status_code == 302
    receipt = Payment.objects.filter(kind="actual").latest("pk")
    assert (receipt.amount, receipt.invoice_number) == (D("600"), "15")
    order.refresh_from_db()
    assert order.state == Order.State.CONFIRMED  # 4 more are still to ship
    ship(line, 4)
    rest = ship(line, 4, kind="planned", date=dt.date(2026, 3, 20))
    assert c.post(f"/sales/orders/shipments/{rest.pk}/done/").status_code == 302
    assert Shipment.objects.filter(kind="actual").count() == 3  # already covered: nothing added
    another = OrderLineFactory(order=order, quantity=1, price=0)
    plan = ship(another, 1, kind="planned")
    c.post(f"/sales/orders/shipments/{plan.pk}/done/")
    order.refresh_from_db()
    assert order.state == Order.State.COMPLETED  # fully shipped and paid


# --- States ---------------------------------------------------------------------------------------

def test_failing_needs_a_reason(manager, client_for):
    order, _ = make_order(manager, [(1, 100, 0)])
    with pytest.raises(ValidationError) as exc:
        service.change_state(order, Order.State.FAILED, version=order.version)
    assert exc.value.message_dict == {"failure_reason": ["Say why the order fell through."]}
    c = client_for(manager)
    order.refresh_from_db()
    response = c.post(f"/sales/orders/{order.pk}/state/", {"state": "failed", "version": order.version},
                      follow=True)
    assert "Say why the order fell through." in response.content.decode()
    order.refresh_from_db()
    assert order.state == Order.State.CONFIRMED
    reason = OrderFailureReason.objects.first()  # from the data migration
    c.post(f"/sales/orders/{order.pk}/state/", {"state": "failed", "version": order.version,
                                                "failure_reason": reason.pk, "failure_comment": "Went elsewhere"})
    order.refresh_from_db()
    assert (order.state, order.failure_reason, order.failure_comment) == ("failed", reason, "Went elsewhere")
    # Reopening clears the reason; a stale version changes nothing.
    c.post(f"/sales/orders/{order.pk}/state/", {"state": "confirmed", "version": order.version})
    order.refresh_from_db()
    assert (order.state, order.failure_reason) == ("confirmed", None)
    with pytest.raises(ConflictError):
        service.change_state(order, Order.State.COMPLETED, version=order.version - 1, force=True)


def test_edit_form_failing_without_reason_is_an_error(manager, client_for):
    order, (line,) = make_order(manager, [(1, 100, 0)])
    c = client_for(manager)
    data = {"number": order.number, "date": "2026-03-02", "counterparty": order.counterparty_id,
            "responsible": manager.pk, "currency": "RUB", "state": "failed", "version": order.version,
            "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "1", "lines-0-id": line.pk,
            "lines-0-order": order.pk, "lines-0-version": line.version, "lines-0-product": "P1",
            "lines-0-quantity": "1", "lines-0-price": "100", "lines-0-cost": "0"}
    response = c.post(f"/sales/orders/{order.pk}/edit/", data)
    assert response.status_code == 400
    assert "Say why the order fell through." in response.content.decode()
    reason = OrderFailureReason.objects.first()
    assert c.post(f"/sales/orders/{order.pk}/edit/", {**data, "failure_reason": reason.pk}).status_code == 302
    order.refresh_from_db()
    assert (order.state, order.failure_reason) == ("failed", reason)
    line.refresh_from_db()
    data.update(version=order.version, state="confirmed", failure_reason=reason.pk, **{"lines-0-version": line.version})
    assert c.post(f"/sales/orders/{order.pk}/edit/", data).status_code == 302
    order.refresh_from_db()
    assert (order.state, order.failure_reason) == ("confirmed", None)  # reopened: the reason is cleared


def test_completing_needs_shipped_and_paid_or_an_explicit_choice(manager):
    order, (line,) = make_order(manager, [(2, 50, 0)])
    with pytest.raises(ValidationError, match="not fully shipped and paid"):
        service.change_state(order, Order.State.COMPLETED, version=order.version)
    service.change_state(order, Order.State.COMPLETED, version=order.version, force=True)
    assert Order.objects.get(pk=order.pk).state == Order.State.COMPLETED
    other, (line,) = make_order(manager, [(2, 50, 0)])
    ship(line, 2), pay(other, 100)
    service.change_state(other, Order.State.COMPLETED, version=other.version)
    assert Order.objects.get(pk=other.pk).state == Order.State.COMPLETED


# --- Edit page ------------------------------------------------------------------------------------

def test_new_order_from_a_deal_takes_its_client_and_products(manager, client_for):
    from sales.models import DealLine

    cp = CounterpartyFactory(main_manager=manager)
    deal = DealFactory(counterparty=cp, responsible=manager, currency="EUR")
    DealLine.objects.create(deal=deal, product="Boiler", quantity=2, price=D("1500"))
    c = client_for(manager)
    page = c.get("/sales/orders/add/", {"deal": deal.pk}).content.decode()
    assert 'value="Boiler"' in page and 'name="lines-TOTAL_FORMS" value="2"' in page
    data = {"date": "2026-03-02", "counterparty": cp.pk, "deal": deal.pk, "responsible": manager.pk,
            "currency": "EUR", "state": "confirmed", "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0",
            "lines-0-product": "Boiler", "lines-0-quantity": "2", "lines-0-price": "1500", "lines-0-cost": "900",
            "lines-1-product": "", "lines-1-quantity": "1", "lines-1-price": "0", "lines-1-cost": "0"}
    response = c.post(f"/sales/orders/add/?deal={deal.pk}", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    order = Order.objects.get()
    assert (order.deal, order.currency, order.amount, order.cost) == (deal, "EUR", D("3000"), D("1800"))
    assert order.number == str(order.pk)
    assert response.url == f"/sales/orders/{order.pk}/"
    # A deal of another client is refused.
    other = DealFactory(counterparty=CounterpartyFactory(main_manager=manager), responsible=manager)
    response = c.post("/sales/orders/add/", {**data, "deal": other.pk})
    assert response.status_code == 400 and "The deal is with another client." in response.content.decode()


def test_stale_order_edit_is_a_conflict(manager, client_for):
    order, _lines = make_order(manager, [])
    c = client_for(manager)
    data = {"number": "A-1", "date": "2026-03-02", "counterparty": order.counterparty_id,
            "responsible": manager.pk, "currency": "RUB", "state": "confirmed", "version": order.version,
            "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"}
    assert c.post(f"/sales/orders/{order.pk}/edit/", data).status_code == 302
    response = c.post(f"/sales/orders/{order.pk}/edit/", {**data, "number": "A-2"})
    assert response.status_code == 409 and 'data-testid="conflict"' in response.content.decode()
    assert Order.objects.get(pk=order.pk).number == "A-1"


# --- Payment reminders ------------------------------------------------------------------------------

@pytest.fixture
def invoice(manager):
    """An invoice due on Tuesday 10 March 2026: the 3 working days before skip Monday 9 March (a public
    holiday in Russia) and the weekend, so the reminder day is Wednesday 4 March."""
    order, _ = make_order(manager, [(1, 1000, 0)], counterparty=CounterpartyFactory(
        main_manager=manager, name="ООО Ромашка"))
    return pay(order, 1000, kind="planned", date=dt.date(2026, 3, 10), invoice_number="77")


def test_reminder_day_skips_weekends_and_holidays():
    assert service.reminder_day(dt.date(2026, 3, 10)) == dt.date(2026, 3, 4)
    assert service.reminder_day(dt.date(2026, 3, 16)) == dt.date(2026, 3, 11)  # a Monday after a weekend
    assert service.last_due_date(dt.date(2026, 3, 4)) == dt.date(2026, 3, 10)
    assert service.call_deadline(dt.date(2026, 3, 8)) == msk(2026, 3, 6, 18, 0)  # due on a Sunday (holiday)


def test_payment_reminder_on_the_third_working_day_before(invoice, manager):
    with time_machine.travel(msk(2026, 3, 3, 17, 0), tick=False):
        assert service.create_payment_reminders() == []
    with time_machine.travel(msk(2026, 3, 4, 9, 30), tick=False):
        (task,) = service.create_payment_reminders()
        assert service.create_payment_reminders() == []  # idempotent
    with time_machine.travel(msk(2026, 3, 5, 9, 30), tick=False):
        assert tasks.payment_reminders.call() == []
    assert Task.objects.count() == 1
    assert task.title == "Call about payment: invoice 77, 1,000.00 RUB, ООО Ромашка"
    assert (task.assignee, task.author, task.counterparty) == (manager, manager, invoice.order.counterparty)
    assert task.deadline == msk(2026, 3, 10, 18, 0)
    assert "Not paid yet: 1,000.00 RUB" in task.description
    invoice.refresh_from_db()
    assert invoice.reminder_task == task
    (notice,) = Notification.objects.filter(user=manager)
    assert notice.source == f"payment-reminder:{invoice.pk}" and "Call about payment" in notice.text


def test_no_reminder_when_paid_fifo_or_order_closed(manager):
    order, _ = make_order(manager, [(1, 1500, 0)])
    first = pay(order, 500, kind="planned", date=dt.date(2026, 3, 10))
    second = pay(order, 1000, kind="planned", date=dt.date(2026, 3, 10), invoice_number="2")
    pay(order, 700)  # covers the first invoice and 200 of the second
    failed, _ = make_order(manager, [(1, 100, 0)], state=Order.State.FAILED,
                           failure_reason=OrderFailureReasonFactory())
    pay(failed, 100, kind="planned", date=dt.date(2026, 3, 10))
    completed, _ = make_order(manager, [(1, 100, 0)], state=Order.State.COMPLETED)
    pay(completed, 100, kind="planned", date=dt.date(2026, 3, 10))
    with time_machine.travel(msk(2026, 3, 4, 10, 0), tick=False):
        (task,) = service.create_payment_reminders()
    assert Payment.objects.get(pk=second.pk).reminder_task == task
    assert Payment.objects.get(pk=first.pk).reminder_task is None
    assert "800.00 RUB" in task.title  # what is still unpaid of that invoice
    pay(order, 800)
    with time_machine.travel(msk(2026, 3, 5, 10, 0), tick=False):
        assert not service.reminders_due().exists()


def test_losing_the_claim_leaves_no_task(invoice, monkeypatch):
    """Two workers read the same due invoice: the one whose conditional UPDATE claims nothing keeps no task."""
    with time_machine.travel(msk(2026, 3, 4, 9, 30), tick=False):
        (task,) = service.create_payment_reminders()
        stale = service.with_coverage(Payment.objects.filter(pk=invoice.pk))  # read before the claim
        monkeypatch.setattr(service, "reminders_due", lambda now=None: stale)
        assert service._remind(invoice.pk, None) is None
    assert list(Task.objects.all()) == [task]
    assert Notification.objects.count() == 1


def test_scheduler_enqueues_reminders_only_when_due(invoice):
    with time_machine.travel(msk(2026, 3, 3, 10, 0), tick=False):
        assert not tasks.payment_reminders_due()
        call_command("scheduler", "--once")
        assert not DBTaskResult.objects.filter(task_path__endswith="payment_reminders").exists()
    with time_machine.travel(msk(2026, 3, 4, 10, 0), tick=False):
        assert tasks.payment_reminders_due()
        call_command("scheduler", "--once")
        assert DBTaskResult.objects.ready().filter(task_path__endswith="payment_reminders").count() == 1


# --- Calendar ---------------------------------------------------------------------------------------

def test_calendar_shows_expected_shipments_and_payments_to_the_responsible(
        manager, teammate, sales_head, client_for):
    order, (line,) = make_order(manager, [(10, 100, 0)])
    plan = ship(line, 4, kind="planned", date=dt.date(2026, 3, 5))
    done_plan = ship(line, 2, kind="planned", date=dt.date(2026, 3, 4))
    ship(line, 2)  # covers the earlier plan
    invoice = pay(order, 1000, kind="planned", date=dt.date(2026, 3, 6), invoice_number="9")
    failed, (fl,) = make_order(manager, [(1, 1, 0)], state=Order.State.FAILED,
                               failure_reason=OrderFailureReasonFactory())
    ship(fl, 1, kind="planned", date=dt.date(2026, 3, 5))
    start, end = cal.day_bounds(dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    with time_machine.travel(msk(2026, 3, 5, 12, 0), tick=False):
        events = {ev.key: ev for ev in cal.events_for(manager, manager, start, end)}
        assert set(events) == {f"shipment-{plan.pk}", f"payment-{invoice.pk}"}
        ev = events[f"shipment-{plan.pk}"]
        assert (ev.time, ev.status, ev.url, ev.movable) == (msk(2026, 3, 5, 18, 0), cal.TODAY, order.get_absolute_url(),
                                                            False)
        assert ev.title == f"Shipment: P1 × 4, order {order.number}"
        assert events[f"payment-{invoice.pk}"].title == f"Payment due: 1,000.00 RUB, invoice 9, order {order.number}"
        with_done = cal.events_for(manager, manager, start, end, cal.CalendarFilters(include_done=True))
        assert f"shipment-{done_plan.pk}" in {ev.key for ev in with_done}
        # A head sees the manager's calendar with them; a teammate neither there nor in their own.
        assert {ev.key for ev in cal.events_for(sales_head, manager, start, end)} == set(events)
        assert cal.events_for(teammate, teammate, start, end) == []
        assert not cal.can_view_calendar(teammate, manager)
        page = client_for(manager).get("/activities/calendar/", {"view": "week", "date": "2026-03-05"})
        assert f'data-key="shipment-{plan.pk}"' in page.content.decode()
        assert client_for(teammate).get("/activities/calendar/", {"user": manager.pk}).status_code == 403
        # A manager who heads another manager opens their calendar, but sees only what restrict() lets them.
        teammate.head = manager
        teammate.save()
        theirs, (their_line,) = make_order(teammate, [(1, 1, 0)])
        ship(their_line, 1, kind="planned", date=dt.date(2026, 3, 5))
        assert cal.can_view_calendar(manager, teammate)
        assert cal.events_for(manager, teammate, start, end) == []
        assert len(cal.events_for(teammate, teammate, start, end)) == 1
        # Tasks only: no plans; the type filter offers shipments and payments.
        assert cal.events_for(manager, manager, start, end, cal.CalendarFilters(types=frozenset({"task"}))) == []
        only = cal.CalendarFilters(types=frozenset({"payment"}))
        assert [ev.key for ev in cal.events_for(manager, manager, start, end, only)] == [f"payment-{invoice.pk}"]
        page = client_for(manager).get("/activities/calendar/", {"view": "week", "date": "2026-03-05",
                                                                 "type": "shipment"}).content.decode()
        assert '<option value="shipment" selected>' in page and '<option value="payment">' in page
        assert f'data-key="shipment-{plan.pk}"' in page and f'data-key="payment-{invoice.pk}"' not in page
        assert "bi-truck" in page


# --- Access per page --------------------------------------------------------------------------------

@pytest.fixture
def owned(manager, teammate):
    mine, (line,) = make_order(manager, [(5, 100, 0)], counterparty=CounterpartyFactory(
        main_manager=manager, name="Mine Ltd"))
    theirs, (their_line,) = make_order(teammate, [(5, 100, 0)], counterparty=CounterpartyFactory(
        main_manager=teammate, name="Theirs Ltd"))
    return mine, line, theirs, their_line


def test_list_analysis_and_exports_show_own_orders_only(owned, manager, admin_user, client_for):
    mine, _line, theirs, _their_line = owned
    for path in ("/sales/orders/", "/sales/orders/analysis/", "/sales/orders/?export=csv",
                 "/sales/orders/analysis/?export=csv"):
        response = client_for(manager).get(path)
        body = response.getvalue().decode() if response.streaming else response.content.decode()
        assert response.status_code == 200 and "Mine Ltd" in body and "Theirs Ltd" not in body, path
        response = client_for(admin_user).get(path)
        body = response.getvalue().decode() if response.streaming else response.content.decode()
        assert "Mine Ltd" in body and "Theirs Ltd" in body, path


def test_teammate_gets_404_everywhere_on_anothers_order(owned, teammate, client_for):
    mine, line, _theirs, _their_line = owned
    plan = ship(line, 1, kind="planned")
    invoice = pay(mine, 10, kind="planned")
    c = client_for(teammate)
    for path in (f"/sales/orders/{mine.pk}/", f"/sales/orders/{mine.pk}/edit/", f"/sales/orders/{mine.pk}/delete/"):
        assert c.get(path).status_code == 404, path
    posts = {
        f"/sales/orders/{mine.pk}/edit/": {},
        f"/sales/orders/{mine.pk}/delete/": {},
        f"/sales/orders/{mine.pk}/state/": {"state": "completed", "version": 1, "force": "1"},
        f"/sales/orders/{mine.pk}/shipments/add/": {"shipment-line": line.pk, "shipment-kind": "actual",
                                                    "shipment-date": "2026-03-02", "shipment-quantity": "1"},
        f"/sales/orders/{mine.pk}/payments/add/": {"payment-kind": "actual", "payment-date": "2026-03-02",
                                                   "payment-amount": "1"},
        f"/sales/orders/shipments/{plan.pk}/done/": {},
        f"/sales/orders/payments/{invoice.pk}/done/": {},
        f"/sales/orders/shipments/{plan.pk}/delete/": {},
        f"/sales/orders/payments/{invoice.pk}/delete/": {},
    }
    for path, data in posts.items():
        assert c.post(path, data).status_code == 404, path
    mine.refresh_from_db()
    assert mine.state == "confirmed" and not mine.is_deleted
    assert Shipment.objects.filter(kind="actual").count() == 0 and Payment.objects.count() == 1


def test_owner_and_admin_may_do_everything(owned, manager, admin_user, client_for):
    mine, line, theirs, their_line = owned
    for user, order, order_line in ((manager, mine, line), (admin_user, theirs, their_line)):
        c = client_for(user)
        page = c.get(f"/sales/orders/{order.pk}/")
        assert page.status_code == 200 and 'data-testid="shipment-form"' in page.content.decode()
        assert c.get(f"/sales/orders/{order.pk}/edit/").status_code == 200
        assert c.post(f"/sales/orders/{order.pk}/shipments/add/", {
            "shipment-line": order_line.pk, "shipment-kind": "actual", "shipment-date": "2026-03-02",
            "shipment-quantity": "1"}).status_code == 302
        assert c.post(f"/sales/orders/{order.pk}/payments/add/", {
            "payment-kind": "actual", "payment-date": "2026-03-02", "payment-amount": "10"}).status_code == 302
        assert c.post(f"/sales/orders/{order.pk}/delete/").status_code == 302
        assert Order.all_objects.get(pk=order.pk).is_deleted
    assert client_for(manager).get("/sales/orders/add/").status_code == 200


def test_read_only_role_sees_but_cannot_change(owned, quality, client_for):
    mine = owned[0]
    c = client_for(quality)
    page = c.get(f"/sales/orders/{mine.pk}/")
    assert page.status_code == 200 and 'data-testid="shipment-form"' not in page.content.decode()
    assert c.get(f"/sales/orders/{mine.pk}/edit/").status_code == 404
    assert c.get("/sales/orders/add/").status_code == 403
    assert c.post(f"/sales/orders/{mine.pk}/payments/add/", {}).status_code == 404


def test_failure_reasons_are_admin_settings(manager, admin_user, client_for):
    assert client_for(manager).get("/sales/settings/order-failure-reasons/").status_code == 200
    assert client_for(manager).get("/sales/settings/order-failure-reasons/new/").status_code == 403
    reason = OrderFailureReason.objects.first()
    assert client_for(manager).post(f"/sales/settings/order-failure-reasons/{reason.pk}/",
                                    {"name": "X", "order": 1, "version": reason.version}).status_code == 404
    c = client_for(admin_user)
    assert c.post("/sales/settings/order-failure-reasons/new/", {"name": "Too far", "order": 5}).status_code == 302
    assert OrderFailureReason.objects.filter(name="Too far").exists()
    page = c.get("/sales/settings/order-failure-reasons/").content.decode()
    assert "Too far" in page and "Client refused" in page  # a default one (data migration), translated


# --- Trash ------------------------------------------------------------------------------------------

def test_orders_shipments_and_payments_are_restored_from_the_trash(owned, manager, teammate, client_for):
    mine, line, theirs, _their_line = owned
    shipment, payment = ship(line, 2), pay(mine, 100)
    for obj in (mine, shipment, payment, theirs):
        obj.delete()
    page = client_for(manager).get("/trash/").content.decode()
    assert f"/trash/sales.order/{mine.pk}/restore/" in page  # restrict() decides here too
    assert f"/trash/sales.order/{theirs.pk}/restore/" not in page
    c = client_for(manager)
    for label, obj in (("sales.order", mine), ("sales.shipment", shipment), ("sales.payment", payment)):
        c.post(f"/trash/{label}/{obj.pk}/restore/")
        obj.refresh_from_db()
        assert not obj.is_deleted, label
    assert client_for(manager).post(f"/trash/sales.order/{theirs.pk}/restore/").status_code == 404


def test_a_shipment_is_not_restored_over_what_is_left_to_ship(owned, manager, client_for, api):
    _mine, line, _theirs, _their_line = owned  # 5 ordered
    old = ship(line, 3)
    old.delete()
    ship(line, 4)  # shipped again meanwhile: only 1 left
    response = client_for(manager).post(f"/trash/sales.shipment/{old.pk}/restore/", follow=True)
    assert "Only 1 of “P1” is left to ship" in response.content.decode()
    old.refresh_from_db()
    assert old.is_deleted
    response = api(manager).post(f"/api/shipments/{old.pk}/restore/")
    assert response.status_code == 400 and "left to ship" in str(response.json())


def test_a_restored_line_counts_in_the_order_totals_again(manager, api):
    order, (_keep, gone) = make_order(manager, [(1, 100, 40), (2, 50, 10)])
    assert api(manager).delete(f"/api/order-lines/{gone.pk}/").status_code == 204
    order.refresh_from_db()
    assert (order.amount, order.cost) == (D("100.00"), D("40.00"))
    assert api(manager).post(f"/api/order-lines/{gone.pk}/restore/").status_code == 200
    order.refresh_from_db()
    assert (order.amount, order.cost) == (D("200.00"), D("60.00"))
