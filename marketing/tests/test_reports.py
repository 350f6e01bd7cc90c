"""Marketing effectiveness reports on a small hand-computed dataset: every figure of the campaign,
lead source and contacts / information sources reports, exports, access and query counts."""

import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils.formats import number_format
from openpyxl import load_workbook
from pypdf import PdfReader

from activities.models import Interaction
from activities.tests.factories import InteractionFactory, interaction_type
from clients.models import Counterparty
from clients.tests.factories import CounterpartyFactory
from core import registry
from sales.models import Deal, LeadSource, Stage
from sales.tests.factories import DealFactory, OrderFactory, OrderLineFactory, ShipmentFactory, default_stages

from ..models import Campaign, DealCampaign, Inquiry, Segment
from .factories import CampaignCostFactory, CampaignFactory, InquiryFactory

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime.datetime(2026, 4, 15, 12, 0, tzinfo=MSK)
MARCH = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
D = Decimal


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def at(day, hour=10):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=MSK)


def url(slug):
    return reverse("report", args=[slug])


def body(table):
    return [r for r in table.rows if r.get("_level") != "total"]


def total(table):
    return next(r for r in table.rows if r.get("_level") == "total")


def by(rows, key):
    return {str(r[key]): r for r in rows}


def xlsx_values(resp):
    sheet = load_workbook(io.BytesIO(resp.content)).active
    return [v for row in sheet.iter_rows(values_only=True) for v in row if v is not None]


def pdf_text(resp):
    assert resp["Content-Type"] == "application/pdf"
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(resp.content)).pages).split())


def created(obj, when):
    type(obj).all_objects.filter(pk=obj.pk).update(created_at=when)


def sale(deal, client, responsible, day, qty, price, cost, currency="RUB"):
    order = OrderFactory(counterparty=client, deal=deal, responsible=responsible, currency=currency)
    line = OrderLineFactory(order=order, quantity=qty * 2, price=price, cost=cost)
    ShipmentFactory(line=line, order=order, date=day, quantity=qty)
    ShipmentFactory(line=line, order=order, date=day, quantity=qty, kind="planned")  # not a sale
    return order


@pytest.fixture
def world(manager, teammate):
    """Campaign A (March, cost lines 300 + 200, a trashed 50; lead source Advertising; target segment
    "everyone"), B (1–10 February, budget 800, no cost lines; Exhibition), C in EUR, D in 2024.

    Clients: alpha (manager's, made from A's inquiry on 5 March; first deal d1 of A, won; sale 500 / cost
    300 on 20 March); beta (manager's, old; A's inquiry converted to it on 10 March; an old deal d0 with a
    sale of 400 / 200 on 15 February; d2 of A — its first link, to B, trashed — with a sale of 2000 / 1400
    on 25 March and one in EUR); zulu (teammate's, 6 March; first deal d3 of A, won, no lead source; sale
    300 / 100 on 28 March); gamma (manager's, 1 February; first deal d4 of B, lost; d5 on 15 March, no
    campaign)."""
    advertising, exhibition = LeadSource.objects.get(code="advertising"), LeadSource.objects.get(code="exhibition")
    everyone = Segment.objects.create(name="Everyone", query="")
    a = CampaignFactory(name="Spring ads", start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 31),
                        budget=1000, lead_source=advertising, target_segment=everyone, state=Campaign.State.FINISHED)
    CampaignCostFactory(campaign=a, amount=300, date=datetime.date(2026, 3, 5))
    CampaignCostFactory(campaign=a, amount=200, date=datetime.date(2026, 3, 20))
    CampaignCostFactory(campaign=a, amount=50, date=datetime.date(2026, 3, 21)).delete()
    b = CampaignFactory(name="Expo", kind=Campaign.Kind.EXHIBITION, channel=Campaign.Channel.EVENT,
                        start=datetime.date(2026, 2, 1), end=datetime.date(2026, 2, 10), budget=800,
                        lead_source=exhibition)
    c = CampaignFactory(name="Euro", currency="EUR", start=datetime.date(2026, 3, 1), lead_source=advertising)
    CampaignCostFactory(campaign=c, amount=100, date=datetime.date(2026, 3, 2))
    CampaignFactory(name="Old", start=datetime.date(2024, 1, 1), end=datetime.date(2024, 1, 31))
    won = Stage.objects.get(pipeline=default_stages()[0].pipeline, kind=Stage.Kind.WON)
    lost = Stage.objects.get(pipeline=won.pipeline, kind=Stage.Kind.LOST)

    alpha = CounterpartyFactory(name="Alpha", main_manager=manager)
    beta = CounterpartyFactory(name="Beta", main_manager=manager)
    zulu = CounterpartyFactory(name="Zulu", main_manager=teammate)
    gamma = CounterpartyFactory(name="Gamma", main_manager=manager)
    for client, day in ((alpha, datetime.date(2026, 3, 5)), (beta, datetime.date(2025, 1, 10)),
                        (zulu, datetime.date(2026, 3, 6)), (gamma, datetime.date(2026, 2, 1))):
        created(client, at(day, 11))

    def inquiry(day, campaign, client=None, responsible=manager, **kw):
        state = Inquiry.State.CONVERTED if client else Inquiry.State.NEW
        i = InquiryFactory(campaign=campaign, counterparty=client, responsible=responsible, state=state,
                           received_at=at(day, 9), **kw)
        return i

    inquiry(datetime.date(2026, 3, 5), a, alpha)  # new client (registered after it came)
    inquiry(datetime.date(2026, 3, 10), a, beta)  # converted to an existing client: not new
    inquiry(datetime.date(2026, 3, 11), a, responsible=teammate, lead_source=exhibition)  # own source
    inquiry(datetime.date(2026, 2, 3), b)  # gamma's, not converted
    inquiry(datetime.date(2024, 1, 5), Campaign.objects.get(name="Old"))  # outside every period

    def deal(client, responsible, day, campaign=None, stage=None, source=None):
        d = DealFactory(counterparty=client, responsible=responsible, lead_source=source,
                        **({"stage": stage} if stage else {}))
        created(d, at(day, 12))
        if campaign:
            DealCampaign.objects.create(deal=d, campaign=campaign)
        return d

    d0 = deal(beta, manager, datetime.date(2025, 2, 1))
    d1 = deal(alpha, manager, datetime.date(2026, 3, 5), a, won, advertising)
    d2 = deal(beta, manager, datetime.date(2026, 3, 10), b, source=advertising)
    DealCampaign.objects.get(deal=d2).delete()  # moved from B to A: the old link in the trash
    DealCampaign.objects.create(deal=d2, campaign=a)
    d3 = deal(zulu, teammate, datetime.date(2026, 3, 6), a, won)
    deal(gamma, manager, datetime.date(2026, 2, 5), b, lost, exhibition)
    deal(gamma, manager, datetime.date(2026, 3, 15))  # d5: no campaign, no source, open

    sale(d0, beta, manager, datetime.date(2026, 2, 15), 1, 400, 200)
    sale(d1, alpha, manager, datetime.date(2026, 3, 20), 5, 100, 60)
    sale(d2, beta, manager, datetime.date(2026, 3, 25), 2, 1000, 700)
    sale(d2, beta, manager, datetime.date(2026, 3, 26), 1, 999, 1, currency="EUR")
    sale(d3, zulu, teammate, datetime.date(2026, 3, 28), 1, 300, 100)

    call, meeting = interaction_type("outgoing_call"), interaction_type("meeting")
    done = Interaction.State.DONE
    for kind, who, client, state, day in (
            (call, manager, alpha, done, 6), (call, manager, beta, done, 12), (meeting, manager, beta, done, 14),
            (call, teammate, zulu, done, 7), (call, manager, gamma, Interaction.State.PLANNED, 20)):
        InteractionFactory(type=kind, responsible=who, counterparty=client, state=state,
                           start=at(datetime.date(2026, 3, day)))
    InteractionFactory(type=call, responsible=manager, counterparty=gamma, state=done,
                       start=at(datetime.date(2026, 4, 2)))  # after the period
    return {"alpha": alpha, "zulu": zulu}


# --- Campaign effectiveness ---------------------------------------------------------------------

def test_registered_with_the_other_reports():
    slugs = [r.slug for r in registry.reports]
    assert {"campaign-effectiveness", "lead-source-effectiveness", "contacts-sources"} <= set(slugs)


def test_campaign_effectiveness_against_hand_computed_rows(sales_head, client_for, world):
    resp = client_for(sales_head).get(url("campaign-effectiveness"))
    assert resp.status_code == 200
    table = resp.context["tables"][0]
    rows = by(body(table), "campaign")
    # by start; Euro left out (EUR), Old outside the period; then what came without a campaign
    assert list(rows) == ["Expo", "Spring ads", "Without a campaign (in the period)"]
    assert {k: rows["Without a campaign (in the period)"][k] for k in ("inquiries", "new_clients", "deals", "won",
                                                                      "revenue", "cost", "roi")} == {
        "inquiries": 0, "new_clients": 0, "deals": 1, "won": 0, "revenue": D("0.00"), "cost": 0, "roi": None}
    spring, expo = rows["Spring ads"], rows["Expo"]
    assert {k: spring[k] for k in ("inquiries", "new_clients", "deals", "won", "revenue", "profit", "cost",
                                   "budget", "cost_per_lead", "roi", "segment", "segment_before",
                                   "segment_during", "segment_change")} == {
        "inquiries": 3, "new_clients": 2, "deals": 3, "won": 2, "revenue": D("2800.00"), "profit": D("1000.00"),
        "cost": D("500.00"), "budget": D("1000.00"), "cost_per_lead": D("166.67"), "roi": D("100.00"),
        "segment": "Everyone", "segment_before": D("400.00"), "segment_during": D("2800.00"),
        "segment_change": D("600.00")}
    assert spring["cost_basis"] == "cost lines"
    assert {k: expo[k] for k in ("inquiries", "new_clients", "deals", "won", "revenue", "profit", "cost",
                                 "cost_per_lead", "roi")} == {
        "inquiries": 1, "new_clients": 1, "deals": 1, "won": 0, "revenue": D("0.00"), "profit": D("0.00"),
        "cost": D("800.00"), "cost_per_lead": D("800.00"), "roi": D("-100.00")}
    assert expo["cost_basis"] == "budget" and "segment_during" not in expo
    t = total(table)
    assert {k: t[k] for k in ("inquiries", "new_clients", "deals", "won", "revenue", "profit", "cost", "budget",
                              "cost_per_lead", "roi", "segment_before", "segment_during")} == {
        "inquiries": 4, "new_clients": 3, "deals": 4, "won": 2, "revenue": D("2800.00"), "profit": D("1000.00"),
        "cost": D("1300.00"), "budget": D("1800.00"), "cost_per_lead": D("325.00"), "roi": D("-23.08"),
        "segment_before": D("400.00"), "segment_during": D("2800.00")}
    notes = {n.testid: n.text for n in resp.context["notes"]}
    assert "1 campaigns in other currencies" in notes["campaign-currency-note"]
    assert "1 shipments in other currencies" in notes["currency-note"]
    chart = resp.context["charts"][0]["spec"]
    assert chart["labels"] == ["Expo", "Spring ads"]
    assert [d["data"] for d in chart["datasets"]] == [[800.0, 500.0], [0.0, 2800.0]]


def test_campaign_filters(sales_head, client_for, world):
    c = client_for(sales_head)
    def campaigns(params):
        table = c.get(url("campaign-effectiveness"), {**MARCH, **params}).context["tables"][0]
        return [r for r in body(table) if not r.get("baseline")]

    assert campaigns({"kind": "exhibition"}) == []
    euro = campaigns({"currency": "eur"})
    assert [r["campaign"] for r in euro] == ["Euro"] and euro[0]["cost"] == D("100.00")
    assert [r["campaign"] for r in campaigns({"state": "finished", "channel": "search"})] == ["Spring ads"]


def test_campaign_effectiveness_for_a_sales_manager_counts_their_own(manager, client_for, world):
    c = client_for(manager)
    spring = by(body(c.get(url("campaign-effectiveness")).context["tables"][0]), "campaign")["Spring ads"]
    assert {k: spring[k] for k in ("inquiries", "new_clients", "deals", "won", "revenue", "profit", "cost",
                                   "cost_per_lead", "roi", "segment_before", "segment_during", "segment_change")} == {
        "inquiries": 2, "new_clients": 1, "deals": 2, "won": 1, "revenue": D("2500.00"), "profit": D("800.00"),
        "cost": D("500.00"), "cost_per_lead": D("250.00"), "roi": D("60.00"), "segment_before": D("400.00"),
        "segment_during": D("2500.00"), "segment_change": D("525.00")}


@pytest.mark.parametrize("slug", ["campaign-effectiveness", "lead-source-effectiveness", "contacts-sources"])
def test_exports_respond_and_keep_to_the_viewers_data(slug, manager, sales_head, client_for, world):
    # March's revenue is 2800 in total, 2500 of it the manager's (zulu's 300 is the teammate's).
    for user, revenue, hidden in ((sales_head, 2800, None), (manager, 2500, 2800)):
        c = client_for(user)
        xlsx = c.get(url(slug), {**MARCH, "export": "xlsx"})
        pdf = c.get(url(slug), {**MARCH, "export": "pdf"})
        assert xlsx.status_code == 200 and pdf.status_code == 200
        values = xlsx_values(xlsx)
        assert "Total" in values and revenue in values and hidden not in values
        assert str(number_format(D(revenue), 2, force_grouping=True)) in pdf_text(pdf)


# --- Lead source effectiveness ------------------------------------------------------------------

def test_lead_source_effectiveness_against_hand_computed_rows(sales_head, client_for, world):
    resp = client_for(sales_head).get(url("lead-source-effectiveness"))
    table = resp.context["tables"][0]
    rows = by(body(table), "source")
    assert list(rows) == ["Advertising", "Exhibition", "Not specified"]
    keys = ("inquiries", "new_clients", "deals", "won", "revenue", "profit", "cost", "cost_per_lead", "roi")

    def figures(row):
        return tuple(row[k] for k in keys)

    assert figures(rows["Advertising"]) == (2, 1, 2, 1, D("2500.00"), D("800.00"), D("500.00"), D("250.00"),
                                            D("60.00"))
    assert figures(rows["Exhibition"]) == (2, 1, 1, 0, D("0.00"), D("0.00"), D("0.00"), D("0.00"), None)
    assert figures(rows["Not specified"]) == (0, 1, 2, 1, D("300.00"), D("200.00"), D("0.00"), None, None)
    assert figures(total(table)) == (4, 3, 5, 2, D("2800.00"), D("1000.00"), D("500.00"), D("125.00"),
                                     D("100.00"))
    notes = {n.testid: n.text for n in resp.context["notes"]}
    assert "1 campaigns" in notes["campaign-currency-note"] and "1 shipments" in notes["currency-note"]


def test_lead_source_effectiveness_for_a_sales_manager(manager, client_for, world):
    rows = by(body(client_for(manager).get(url("lead-source-effectiveness")).context["tables"][0]), "source")
    assert list(rows) == ["Advertising", "Exhibition", "Not specified"]
    assert rows["Not specified"]["deals"] == 1  # d5; zulu's d3 is the teammate's
    assert (rows["Advertising"]["inquiries"], rows["Exhibition"]["inquiries"]) == (2, 1)
    assert rows["Advertising"]["revenue"] == D("2500.00") and rows["Advertising"]["cost"] == D("500.00")


# --- Analysis of contacts and information sources -----------------------------------------------

TYPE_KEYS = ("contacts", "clients", "new_clients", "deals", "won", "revenue_before", "revenue", "change", "profit")
SOURCE_KEYS = ("clients", "new_clients", "contacted", "contacts", "deals", "won", "revenue_before", "revenue",
               "profit")


def test_contacts_and_sources_against_hand_computed_rows(sales_head, client_for, world):
    resp = client_for(sales_head).get(url("contacts-sources"), MARCH)
    types, sources = resp.context["tables"]
    rows = body(types)
    assert [r["type"] for r in rows] == ["Outgoing call", "Meeting"]
    call, meeting = rows
    assert tuple(call[k] for k in TYPE_KEYS) == (3, 3, 2, 3, 2, D("400.00"), D("2800.00"), D("600.00"),
                                                 D("1000.00"))
    assert tuple(meeting[k] for k in TYPE_KEYS) == (1, 1, 0, 1, 0, D("400.00"), D("2000.00"), D("400.00"),
                                                    D("600.00"))
    # The total counts a client contacted in two ways once.
    assert tuple(total(types)[k] for k in TYPE_KEYS) == (4, 3, 2, 3, 2, D("400.00"), D("2800.00"), D("600.00"),
                                                         D("1000.00"))
    srows = by(body(sources), "source")
    assert list(srows) == ["Advertising", "Not specified"]
    assert tuple(srows["Advertising"][k] for k in SOURCE_KEYS) == (2, 1, 2, 3, 2, 1, D("400.00"), D("2500.00"),
                                                                   D("800.00"))
    assert tuple(srows["Not specified"][k] for k in SOURCE_KEYS) == (1, 1, 1, 1, 1, 1, D("0.00"), D("300.00"),
                                                                     D("200.00"))
    assert tuple(total(sources)[k] for k in SOURCE_KEYS) == (3, 2, 3, 4, 3, 2, D("400.00"), D("2800.00"),
                                                             D("1000.00"))
    assert "1 shipments" in {n.testid: n.text for n in resp.context["notes"]}["currency-note"]
    assert len(resp.context["charts"]) == 2


def test_contacts_and_sources_filters_by_type(sales_head, client_for, world):
    got = client_for(sales_head).get(url("contacts-sources"), {**MARCH, "type": interaction_type("meeting").pk})
    types, sources = got.context["tables"]
    assert [r["type"] for r in body(types)] == ["Meeting"]
    assert by(body(sources), "source")["Advertising"]["contacts"] == 1


def test_contacts_and_sources_for_a_sales_manager(manager, client_for, world):
    types, sources = client_for(manager).get(url("contacts-sources"), MARCH).context["tables"]
    call = by(body(types), "type")["Outgoing call"]
    assert tuple(call[k] for k in TYPE_KEYS) == (2, 2, 1, 2, 1, D("400.00"), D("2500.00"), D("525.00"),
                                                 D("800.00"))
    assert list(by(body(sources), "source")) == ["Advertising"]


# --- Query counts -------------------------------------------------------------------------------

@pytest.mark.parametrize("slug", ["campaign-effectiveness", "lead-source-effectiveness", "contacts-sources"])
def test_query_count_does_not_grow_with_the_data(slug, sales_head, manager, client_for, world,
                                                 django_assert_max_num_queries):
    c = client_for(sales_head)
    c.get(url(slug), MARCH)  # the session and the remembered filters settle
    with django_assert_max_num_queries(22):
        c.get(url(slug), MARCH)
    more = Campaign.objects.get(name="Spring ads")
    for n in range(5):
        client = CounterpartyFactory(name=f"More {n}", main_manager=manager)
        d = DealFactory(counterparty=client, responsible=manager)
        campaign = CampaignFactory(name=f"More {n}", target_segment=more.target_segment)
        DealCampaign.objects.create(deal=d, campaign=campaign)
        sale(d, client, manager, datetime.date(2026, 3, 3), 1, 10, 5)
        InteractionFactory(type=interaction_type("email"), responsible=manager, counterparty=client,
                           state=Interaction.State.DONE, start=at(datetime.date(2026, 3, 3)))
    with django_assert_max_num_queries(22):
        c.get(url(slug), MARCH)


def test_counterparty_created_at_is_the_registration_moment(world):
    # The "new client" measures read created_at: the fixture moved it, the model keeps it.
    assert Counterparty.objects.get(name="Alpha").created_at == at(datetime.date(2026, 3, 5), 11)
    assert Deal.objects.filter(created_at__date=datetime.date(2026, 3, 5)).count() == 1
