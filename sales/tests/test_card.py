"""The Deals, Orders and Documents tabs of a client card: only rows the user may see; 404 otherwise."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from clients.models import CounterpartyShare
from clients.tests.factories import CounterpartyFactory
from sales.models import Document, Order, OrderFailureReason, OrderLine, Payment, Shipment
from sales.tests.factories import DealFactory, default_stages

pytestmark = pytest.mark.django_db

TABS = ["sales:card_deals", "sales:card_orders", "sales:card_documents"]


def make_order(cp, responsible, number, **kwargs):
    return Order.objects.create(counterparty=cp, responsible=responsible, number=number,
                                date=dt.date(2025, 3, 1), **kwargs)


def make_document(cp, title, deal=None, order=None, user=None):
    doc = Document(counterparty=cp, deal=deal, order=order, kind="invoice", format="pdf", title=title,
                   created_by=user)
    doc.file.save(f"{title}.pdf", ContentFile(b"%PDF-1.4"), save=False)
    doc.save()
    return doc


def tab(client, name, cp):
    response = client.get(reverse(name, args=[cp.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_deals_tab(client_for, manager, sales_head, quality):
    stages = default_stages()
    cp = CounterpartyFactory(main_manager=manager)
    open_deal = DealFactory(title="Cold room", counterparty=cp, responsible=manager, stage=stages[2],
                            amount=Decimal("250000"), expected_close_date=dt.date(2025, 4, 30))
    won = DealFactory(title="Showcases", counterparty=cp, responsible=manager, stage=stages[5])
    DealFactory(title="Elsewhere", counterparty=CounterpartyFactory(main_manager=manager), responsible=manager)
    page = tab(client_for(manager), "sales:card_deals", cp)
    assert "Cold room" in page and "Showcases" in page and "Elsewhere" not in page
    assert page.index("Cold room") < page.index("Showcases")  # open deals first
    assert open_deal.get_absolute_url() in page and won.get_absolute_url() in page
    assert "250,000.00 RUB" in page and stages[2].name in page
    assert f'href="/sales/deals/add/?counterparty={cp.pk}"' in page  # "New deal"
    # Someone who may only look gets no "New deal" button.
    page = tab(client_for(quality), "sales:card_deals", cp)
    assert "Cold room" in page and "card-new-deal" not in page
    assert "Cold room" in tab(client_for(sales_head), "sales:card_deals", cp)


def test_tabs_show_only_restricted_rows(client_for, manager, teammate, sales_head):
    cp, other = CounterpartyFactory(main_manager=manager), CounterpartyFactory(main_manager=manager)
    DealFactory(title="Live deal", counterparty=cp, responsible=manager)
    DealFactory(title="Trashed deal", counterparty=cp, responsible=manager).delete()
    DealFactory(title="Other client's deal", counterparty=other, responsible=manager)
    live, trashed = make_order(cp, manager, "M-1"), make_order(cp, manager, "M-2")
    trashed.delete()
    make_order(other, manager, "O-1")
    make_document(cp, "Live invoice", order=live, user=manager)
    make_document(cp, "Trashed invoice", order=live, user=manager).delete()
    make_document(other, "Other invoice", order=live, user=manager)

    deals, orders, documents = (tab(client_for(manager), name, cp) for name in TABS)
    assert "Live deal" in deals and "Trashed deal" not in deals and "Other client" not in deals
    assert "M-1" in orders and "M-2" not in orders and "O-1" not in orders
    assert "Live invoice" in documents and "Trashed invoice" not in documents and "Other invoice" not in documents
    live_doc = Document.objects.get(title="Live invoice")
    assert f'href="{live_doc.get_absolute_url()}"' in documents


def test_teammates_client_is_404_on_every_tab(client_for, manager, teammate, sales_head):
    theirs = CounterpartyFactory(main_manager=teammate)
    order = make_order(theirs, teammate, "T-1")
    # Even the manager's own deal on that client does not open the client's tabs.
    DealFactory(title="Helper deal", counterparty=theirs, responsible=manager)
    make_document(theirs, "Their invoice", order=order, user=teammate)
    for name in TABS:
        assert client_for(manager).get(reverse(name, args=[theirs.pk])).status_code == 404
    head = client_for(sales_head)
    assert "Helper deal" in tab(head, "sales:card_deals", theirs)
    assert "T-1" in tab(head, "sales:card_orders", theirs)
    assert "Their invoice" in tab(head, "sales:card_documents", theirs)
    # Shared with the manager: now the tabs open.
    CounterpartyShare.objects.create(counterparty=theirs, user=manager)
    assert "T-1" in tab(client_for(manager), "sales:card_orders", theirs)


def test_client_card_loads_the_tabs_lazily(client_for, manager):
    cp = CounterpartyFactory(main_manager=manager)
    page = client_for(manager).get(reverse("clients:counterparty", args=[cp.pk]) + "?tab=orders")
    html = page.content.decode()
    for name in TABS:
        assert f'hx-get="{reverse(name, args=[cp.pk])}"' in html
    assert f'hx-get="{reverse("sales:card_orders", args=[cp.pk])}" hx-trigger="load"' in html


def test_orders_tab_amounts_and_status(client_for, manager):
    cp = CounterpartyFactory(main_manager=manager)
    order = make_order(cp, manager, "A-17")
    line = OrderLine.objects.create(order=order, product="Showcase", quantity=Decimal("3"),
                                    price=Decimal("1000.10"), cost=Decimal("600"))
    Order.objects.filter(pk=order.pk).update(amount=Decimal("3000.30"), cost=Decimal("1800"))
    Shipment.objects.create(order=order, line=line, kind="actual", date=dt.date(2025, 3, 2), quantity=2)
    Shipment.objects.create(order=order, line=line, kind="planned", date=dt.date(2025, 3, 9), quantity=1)
    Payment.objects.create(order=order, kind="actual", date=dt.date(2025, 3, 3), amount=Decimal("1500"))
    Payment.objects.create(order=order, kind="planned", date=dt.date(2025, 3, 20), amount=Decimal("1500.30"))
    failed = make_order(cp, manager, "A-18", state=Order.State.FAILED,
                        failure_reason=OrderFailureReason.objects.create(name="Out of stock"))
    page = tab(client_for(manager), "sales:card_orders", cp)
    assert page.index(f"card-order-{failed.pk}") < page.index(f"card-order-{order.pk}")  # newest first
    row = page[page.index(f"card-order-{order.pk}"):]
    assert "3,000.30 RUB" in row  # amount
    assert "2,000.20 RUB" in row  # shipped: 2 × 1000.10 (actual only)
    assert "1,500.00 RUB" in row  # paid (actual only)
    assert "Out of stock" in page
    assert f'href="{order.get_absolute_url()}"' in page
    assert f'href="{reverse("sales:order_add")}?counterparty={cp.pk}"' in page  # "New order"
