"""Issue 9, item 4: a deal with product lines has their sum as its amount (form, API, trash), and
the board, the forecast and the dashboard, which read ``Deal.amount``, follow."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from clients.tests.factories import CounterpartyFactory
from core.dashboard import Moment
from sales.models import Deal, DealLine
from sales.services.board import column_totals
from sales.services.dashboard import expected_sales
from sales.tests.factories import DealFactory, default_stages

pytestmark = pytest.mark.django_db

D = Decimal
NOW = datetime.datetime(2025, 4, 15, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))


@pytest.fixture
def stages():
    return default_stages()


@pytest.fixture
def deal(manager, stages):
    return DealFactory(title="Showcases", responsible=manager, amount=D("0"), stage=stages[0], probability=50,
                       counterparty=CounterpartyFactory(main_manager=manager),
                       expected_close_date=datetime.date(2025, 4, 30))


def amount(deal):
    return Deal.objects.get(pk=deal.pk).amount


def form_data(deal, **extra):
    return {"title": deal.title, "counterparty": deal.counterparty_id, "stage": deal.stage_id, "amount": "5",
            "currency": "RUB", "responsible": deal.responsible_id, "probability": "50",
            "expected_close_date": "2025-04-30", "version": Deal.objects.get(pk=deal.pk).version, **extra}


def test_form_with_lines_stores_their_sum(client_for, manager, deal):
    c = client_for(manager)
    response = c.post(f"/sales/deals/{deal.pk}/", form_data(
        deal, **{"lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0",
                 "lines-0-product": "Showcase", "lines-0-quantity": "2", "lines-0-price": "78000",
                 "lines-1-product": "Mounting", "lines-1-quantity": "1.5", "lines-1-price": "9333.33"}))
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert amount(deal) == D("170000.00")  # 156 000 + 13 999.995 → rounded once
    # Now the amount is computed: the field is read-only and a typed value does not stick.
    form = c.get(f"/sales/deals/{deal.pk}/").context["form"]
    assert form.fields["amount"].disabled
    lines = list(deal.lines.order_by("pk"))
    response = c.post(f"/sales/deals/{deal.pk}/", form_data(deal, amount="1", **{
        "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "2",
        **{f"lines-{i}-{k}": v for i, line in enumerate(lines)
           for k, v in {"id": line.pk, "version": line.version, "product": line.product,
                        "quantity": line.quantity, "price": line.price}.items()},
        "lines-1-DELETE": "on"}))
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert amount(deal) == D("156000.00")


def test_deal_without_lines_keeps_typed_amount(client_for, manager, deal):
    c = client_for(manager)
    assert not c.get(f"/sales/deals/{deal.pk}/").context["form"].fields["amount"].disabled
    response = c.post(f"/sales/deals/{deal.pk}/", form_data(
        deal, amount="4321.10", **{"lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"}))
    assert response.status_code == 302
    assert amount(deal) == D("4321.10")


def test_api_line_add_change_delete_restore(api, manager, deal):
    client = api(manager)
    response = client.post("/api/deal-lines/", {"deal": deal.pk, "product": "Showcase", "quantity": "2",
                                                "price": "85000"}, format="json")
    assert response.status_code == 201, response.json()
    assert amount(deal) == D("170000.00")
    second = client.post("/api/deal-lines/", {"deal": deal.pk, "product": "Delivery", "quantity": "1",
                                              "price": "4500"}, format="json").json()
    assert amount(deal) == D("174500.00")
    response = client.patch(f"/api/deal-lines/{second['id']}/", {"price": "5000", "version": second["version"]},
                            format="json")
    assert response.status_code == 200, response.json()
    assert amount(deal) == D("175000.00")
    # A deal write cannot put a different amount next to its lines.
    response = client.patch(f"/api/deals/{deal.pk}/", {"amount": "1", "version": Deal.objects.get(pk=deal.pk).version},
                            format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["amount"] == "175000.00" and amount(deal) == D("175000.00")
    assert client.delete(f"/api/deal-lines/{second['id']}/").status_code == 204
    assert amount(deal) == D("170000.00")
    DealLine.all_objects.get(pk=second["id"]).restore()  # back from the trash
    assert amount(deal) == D("175000.00")


def test_board_forecast_and_dashboard_follow_the_lines(client_for, manager, sales_head, deal, stages):
    with time_machine.travel(NOW, tick=False):
        DealLine.objects.create(deal=deal, product="Showcase", quantity=2, price=D("85000"))
        assert column_totals(manager, stages[0].pipeline)[stages[0].pk]["sums"] == [("RUB", D("170000.00"))]
        response = client_for(sales_head).get(reverse("report", args=["forecast"]),
                                              {"date_from": "2025-04-01", "date_to": "2025-04-30"})
        assert response.status_code == 200
        rows = [(r.currency, r.amount, r.weighted) for r in response.context["data"].rows]
        assert rows == [("RUB", D("170000.00"), D("85000.00"))]
        buckets, _currencies = expected_sales(manager, Moment(NOW))
        assert sum(b.amounts.get("RUB", D(0)) for b in buckets) == D("170000.00")


def test_migration_recomputes_deals_with_lines(deal, manager, stages):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("sales.migrations.0010_deal_amount_from_lines")
    DealLine.objects.create(deal=deal, product="Showcase", quantity=3, price=D("100"))
    plain = DealFactory(responsible=manager, amount=D("77"), counterparty=deal.counterparty, stage=stages[0])
    Deal.objects.filter(pk=deal.pk).update(amount=D("1"))  # as before this change
    migration.recompute(apps, None)
    assert (amount(deal), amount(plain)) == (D("300.00"), D("77.00"))
