"""Campaigns and their costs, who may keep them, and the campaign a deal came from."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.db.models import ProtectedError
from django.urls import reverse

from clients.tests.factories import CounterpartyFactory
from marketing.models import Campaign, CampaignCost, DealCampaign
from marketing.tests.factories import CampaignCostFactory, CampaignFactory
from sales.tests.factories import DealFactory

pytestmark = pytest.mark.django_db


def campaign_form(**overrides):
    data = {"name": "Выставка «Продэкспо»", "kind": "exhibition", "channel": "event", "state": "planned",
            "start": "2026-02-10", "end": "2026-02-14", "budget": "450000", "currency": "RUB",
            "responsible": "", "description": "",
            "cost-TOTAL_FORMS": "2", "cost-INITIAL_FORMS": "0", "cost-MIN_NUM_FORMS": "0", "cost-MAX_NUM_FORMS": "1000",
            "cost-0-date": "2026-01-20", "cost-0-description": "Аренда стенда", "cost-0-amount": "250000",
            "cost-1-date": "", "cost-1-description": "", "cost-1-amount": ""}
    return {**data, **overrides}


def own_deal(manager, title="Витрины для «Ромашки»"):
    return DealFactory(counterparty=CounterpartyFactory(main_manager=manager), responsible=manager, title=title)


def test_a_marketer_plans_a_campaign_with_its_costs(marketer, client_for):
    c = client_for(marketer)
    resp = c.post(reverse("marketing:campaign_add"), campaign_form())
    assert resp.status_code == 302, resp.content.decode()[:2000]
    campaign = Campaign.objects.get()
    assert (campaign.kind, campaign.start, campaign.budget) == ("exhibition", dt.date(2026, 2, 10), Decimal("450000"))
    assert list(campaign.costs.values_list("description", "amount")) == [("Аренда стенда", Decimal("250000.00"))]
    card = c.get(campaign.get_absolute_url()).content.decode()
    assert "Аренда стенда" in card and 'data-testid="campaign-edit"' in card
    listing = c.get(reverse("marketing:campaign_list")).content.decode()
    assert "Выставка «Продэкспо»" in listing
    history = c.get(reverse("marketing:campaign_history", args=[campaign.pk])).content.decode()
    assert "Аренда стенда" in history or "created" in history


def test_the_period_and_amounts_are_checked_with_the_field_named(marketer, client_for, api):
    resp = client_for(marketer).post(reverse("marketing:campaign_add"),
                                     campaign_form(end="2026-02-01", **{"cost-0-amount": "-5"}))
    assert resp.status_code == 400
    errors = resp.context["form"].errors
    assert "end" in errors and not Campaign.objects.exists()
    assert resp.context["formsets"]["costs"].forms[0].errors["amount"]
    resp = api(marketer).post("/api/campaigns/", {"name": "X", "start": "2026-02-10", "end": "2026-02-01"},
                              format="json")
    assert resp.status_code == 400 and "end" in resp.json()


def test_sales_managers_read_campaigns_but_do_not_keep_them(manager, client_for, api):
    campaign = CampaignFactory()
    c = client_for(manager)
    assert c.get(reverse("marketing:campaign_list")).status_code == 200
    assert c.get(campaign.get_absolute_url()).status_code == 200
    assert c.get(reverse("marketing:campaign_add")).status_code == 403
    assert c.post(reverse("marketing:campaign_edit", args=[campaign.pk]), campaign_form(version=1)).status_code == 404
    assert api(manager).post("/api/campaigns/", {"name": "X", "start": "2026-02-10"}, format="json").status_code == 403
    assert api(manager).get(f"/api/campaigns/{campaign.pk}/").status_code == 200


def test_the_cost_is_the_sum_of_live_lines(marketer, api):
    campaign = CampaignFactory(budget=1000)
    CampaignCostFactory(campaign=campaign, amount=Decimal("300.50"))
    CampaignCostFactory(campaign=campaign, amount=Decimal("200"))
    CampaignCostFactory(campaign=campaign, amount=Decimal("999")).delete()  # in the trash
    assert campaign.cost() == Decimal("500.50")
    row = api(marketer).get("/api/campaigns/").json()["results"][0]
    assert row["cost_total"] == "500.50"
    assert api(marketer).get(f"/api/campaign-costs/?campaign={campaign.pk}").json()["results"][0]["campaign"] == \
        campaign.pk


def test_a_manager_sets_changes_and_clears_the_campaign_of_their_deal(manager, client_for):
    spring, summer = CampaignFactory(name="Весна"), CampaignFactory(name="Лето")
    deal = own_deal(manager)
    c = client_for(manager)
    page = c.get(reverse("sales:deal_edit", args=[deal.pk])).content.decode()
    assert 'data-testid="deal-campaign"' in page
    url = reverse("marketing:deal_campaign", args=[deal.pk])
    assert c.post(url, {"campaign": spring.pk}).status_code == 302
    assert c.post(url, {"campaign": summer.pk}).status_code == 302
    assert DealCampaign.objects.get(deal=deal).campaign == summer
    assert DealCampaign.all_objects.filter(deal=deal, campaign=spring, deleted_at__isnull=False).exists()
    page = c.get(reverse("sales:deal_edit", args=[deal.pk])).content.decode()
    assert "Лето" in page
    listing = c.get(reverse("sales:deal_list"), {"campaign": summer.pk}).content.decode()
    assert deal.title in listing
    assert deal.title not in c.get(reverse("sales:deal_list"), {"campaign": spring.pk}).content.decode()
    card = c.get(summer.get_absolute_url()).content.decode()
    assert deal.title in card
    assert c.post(url, {"campaign": ""}).status_code == 302
    assert not DealCampaign.objects.filter(deal=deal).exists()


def test_another_managers_deal_and_a_bad_campaign_are_refused(manager, teammate, client_for):
    campaign = CampaignFactory()
    theirs = own_deal(teammate, title="Чужая сделка")
    c = client_for(manager)
    assert c.post(reverse("marketing:deal_campaign", args=[theirs.pk]), {"campaign": campaign.pk}).status_code == 404
    mine = own_deal(manager)
    resp = c.post(reverse("marketing:deal_campaign", args=[mine.pk]), {"campaign": "999999"})
    assert resp.status_code == 400 and "campaign" in resp.context["campaign_form"].errors
    assert not DealCampaign.objects.exists()
    # The campaign's card lists only the deals the user may see.
    DealCampaign.objects.create(deal=theirs, campaign=campaign)
    assert "Чужая сделка" not in c.get(campaign.get_absolute_url()).content.decode()


def test_one_live_campaign_per_deal_through_the_api(manager, api):
    first, second = CampaignFactory(), CampaignFactory()
    deal = own_deal(manager)
    client = api(manager)
    resp = client.post("/api/deal-campaigns/", {"deal": deal.pk, "campaign": first.pk}, format="json")
    assert resp.status_code == 201, resp.json()
    resp = client.post("/api/deal-campaigns/", {"deal": deal.pk, "campaign": second.pk}, format="json")
    assert resp.status_code == 400 and "deal" in resp.json()


def test_a_campaign_in_use_cannot_be_removed_for_good(manager):
    campaign = CampaignFactory()
    DealCampaign.objects.create(deal=own_deal(manager), campaign=campaign)
    with pytest.raises(ProtectedError):
        campaign.hard_delete()
    assert Campaign.objects.filter(pk=campaign.pk).exists()


def test_the_demo_has_a_year_of_campaigns_with_costs_and_deals(db):
    from django.core.management import call_command

    with time_machine.travel(dt.datetime(2025, 3, 12, 7, 0, tzinfo=dt.UTC), tick=False):
        call_command("load_demo", password="demo-password-1", stdout=io.StringIO())
        call_command("load_demo", password="demo-password-1", stdout=io.StringIO())  # idempotent
    campaigns = Campaign.objects.all()
    assert campaigns.count() == 8 and len({c.kind for c in campaigns}) >= 6
    assert all(c.cost() > 0 for c in campaigns)
    assert CampaignCost.objects.count() > 8 and DealCampaign.objects.count() >= 10
    assert {c.state for c in campaigns} >= {"finished", "active"}
