"""Factories of the marketing models and their samples for the generated access matrix."""

import datetime

import factory

from clients.models import Counterparty
from core import access
from core.tests import samples
from sales.models import Deal

from ..models import Campaign, CampaignCost, DealCampaign, GroupMember, Inquiry, MailingGroup


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    kind = Campaign.Kind.ADVERTISING
    channel = Campaign.Channel.SEARCH
    start = datetime.date(2026, 3, 1)
    end = datetime.date(2026, 3, 31)
    budget = 1000
    currency = "RUB"


class CampaignCostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignCost

    campaign = factory.SubFactory(CampaignFactory)
    date = datetime.date(2026, 3, 5)
    description = "Ads"
    amount = 100


def shared_campaign():
    # Campaigns are company-wide (everyone reads them): no owner's token in their name.
    return Campaign.objects.get_or_create(name="Shared campaign", defaults={"start": datetime.date(2026, 1, 1)})[0]


@samples.sample(DealCampaign)
def deal_campaign_sample(world):
    return DealCampaign.objects.create(deal=world.get(Deal), campaign=shared_campaign())


samples.probe("marketing:deal_campaign", method="post", action=access.CHANGE, target=Deal,
              data=lambda world, deal: {"campaign": shared_campaign().pk})


class InquiryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inquiry

    channel = Inquiry.Channel.PHONE
    person_name = factory.Sequence(lambda n: f"Person {n}")


@samples.sample(Inquiry)
def inquiry_sample(world):
    return Inquiry.objects.create(company=world.text("inquiry"), person_name="Иванов Пётр", responsible=world.owner,
                                  channel=Inquiry.Channel.EMAIL, message=world.text("message"))


CONVERT = {"existing": "", "name": "New client from the probe", "kind": "legal", "last_name": "Иванов",
           "first_name": "Пётр", "create_deal": "on", "deal_title": "Probe deal", "confirm_new": "on"}
samples.probe("marketing:inquiry_convert", method="post", action=access.CHANGE, target=Inquiry,
              data=lambda world, inquiry: CONVERT)
samples.probe("api:inquiry-convert", method="post", action=access.CHANGE, target=Inquiry,
              data=lambda world, inquiry: {"name": "New client from the probe", "deal_title": "Probe deal"})


@samples.sample(GroupMember)
def group_member_sample(world):
    # Groups are company-wide: no owner's token in their name; the member's client carries it.
    group = MailingGroup.objects.get_or_create(name="Shared group")[0]
    return GroupMember.objects.create(group=group, counterparty=world.get(Counterparty))


samples.probe("marketing:card_groups", method="post", action=access.CHANGE, target=Counterparty,
              data=lambda world, client: {"group": MailingGroup.objects.get_or_create(name="Another group")[0].pk})
