"""Linking deals to campaigns, and what a campaign's card lists."""

from django.core.exceptions import PermissionDenied

from core import access
from sales.models import Deal

from .forms import DealCampaignForm
from .models import DealCampaign


def live_link(deal):
    return DealCampaign.objects.filter(deal=deal).select_related("campaign").first()


def set_deal_campaign(deal, campaign, user):
    """Set (or clear, ``campaign=None``) the deal's campaign; the old link goes to the trash, so the
    change stays in history. Call inside a transaction."""
    if not access.may(user, access.CHANGE, deal):
        raise PermissionDenied
    Deal.objects.select_for_update().filter(pk=deal.pk).exists()  # one change of a deal's link at a time
    link = live_link(deal)
    if link is not None and campaign is not None and link.campaign_id == campaign.pk:
        return link
    if link is not None:
        link.delete()
    if campaign is None:
        return None
    return DealCampaign.objects.create(deal=deal, campaign=campaign)


def campaign_deals(campaign, user):
    """The deals of ``campaign`` the user may see (a sales manager: their own)."""
    visible = Deal.objects.restrict(user)
    return (visible.filter(campaign_links__campaign=campaign, campaign_links__deleted_at__isnull=True)
            .select_related("counterparty", "stage", "responsible").order_by("-created_at", "-pk"))


def panel_context(request, deal, form=None):
    link = live_link(deal)
    can_change = access.may(request.user, access.CHANGE, deal)
    if form is None:
        form = DealCampaignForm(initial={"campaign": link.campaign_id if link else None})
    return {"link": link, "can_change": can_change, "campaign_form": form}


def campaign_funnel(campaign, user):
    """Inquiry → client → deal → won for ``campaign``, over what the user may see."""
    from sales.models import Stage

    from .models import Inquiry

    inquiries = Inquiry.objects.restrict(user).filter(campaign=campaign)
    deals = Deal.objects.restrict(user).filter(campaign_links__campaign=campaign,
                                              campaign_links__deleted_at__isnull=True)
    won = deals.filter(stage__kind=Stage.Kind.WON)
    return {"inquiries": inquiries.count(),
            "clients": inquiries.exclude(counterparty=None).values("counterparty").distinct().count(),
            "deals": deals.count(), "won": won.count()}
