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


# --- Mailings -------------------------------------------------------------------------------


def shared_mailing():
    # Mailings are company-wide; the recipient's client and address carry the owner's token.
    from ..models import Mailing

    group = MailingGroup.objects.get_or_create(name="Shared group")[0]
    return Mailing.objects.get_or_create(name="Shared mailing", defaults={
        "group": group, "subject": "News", "body": "Hello, {{ first_name }}!"})[0]


def mailing_recipient_sample(world):
    from ..models import MailingRecipient

    return MailingRecipient.objects.create(mailing=shared_mailing(), counterparty=world.get(Counterparty),
                                           address=f"{world.token.lower().replace(' ', '-')}@example.com")


def register_mailing_samples():
    from ..models import MailingRecipient

    samples.sample(MailingRecipient)(mailing_recipient_sample)


register_mailing_samples()


# --- SMS ------------------------------------------------------------------------------------


def sms_sample(world):
    from .. import services_sms

    return services_sms.queue_sms("+79161234567", world.text("sms"), counterparty=world.get(Counterparty),
                                  created_by=world.owner)


def register_sms_samples():
    import secrets

    from ..models import OutgoingSms

    samples.sample(OutgoingSms)(sms_sample)
    samples.probe("marketing:card_sms", method="post", action=access.CHANGE, target=Counterparty,
                  data=lambda world, client: {"number": "+7 916 765-43-21", "text": "Probe SMS",
                                              "key": secrets.token_urlsafe(18)})
    samples.probe("marketing:sms_retry", method="post", action=access.CHANGE, target=OutgoingSms)


register_sms_samples()


# --- Call lists -----------------------------------------------------------------------------


def shared_call_list(world):
    # Lists and scripts are company-wide; the entry's client carries the owner's token. The owner
    # is one of the list's operators (each world adds its own).
    from ..models import CallList, CallScript

    script = CallScript.objects.get_or_create(name="Shared script")[0]
    group = MailingGroup.objects.get_or_create(name="Shared group")[0]
    call_list = CallList.objects.get_or_create(name="Shared call list", defaults={
        "script": script, "group": group, "state": CallList.State.ACTIVE})[0]
    call_list.operators.add(world.owner)
    return call_list


def call_entry_sample(world):
    from ..models import CallListEntry

    return CallListEntry.objects.create(call_list=shared_call_list(world), counterparty=world.get(Counterparty),
                                        phone="+74951234567")


def register_call_samples():
    from ..models import CallListEntry

    samples.sample(CallListEntry)(call_entry_sample)
    for name in ("marketing:calllistentry_result", "api:calllistentry-result"):
        samples.probe(name, method="post", action=access.CHANGE, target=CallListEntry,
                      data=lambda world, entry: {"result": "no_answer"})
    samples.probe("marketing:calllistentry_release", method="post", action=access.CHANGE, target=CallListEntry)


register_call_samples()
