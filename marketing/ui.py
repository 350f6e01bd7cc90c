"""What marketing adds to the shared UI: its menu, the deal card's campaign panel, the deal list's
campaign filter and column (registered from ``MarketingConfig.ready()``)."""

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from core.cards import CardPanel, CardTab, register_panel, register_tab
from core.filtersets import register_filter
from core.navigation import MARKETING, NavItem, register_item
from core.tables import Column, register_column

from . import services
from .models import Campaign, DealCampaign

DEAL = "sales.deal"


def _campaign_filter():
    return django_filters.ModelChoiceFilter(label=_("Campaign"), queryset=Campaign.objects.all(),
                                            method=filter_campaign)


def filter_campaign(queryset, name, value: int):  # the hint types the API parameter (an id)
    if not value:
        return queryset
    return queryset.filter(campaign_links__campaign=value, campaign_links__deleted_at__isnull=True)


def prepare(queryset):
    live = DealCampaign.objects.filter(deleted_at__isnull=True).select_related("campaign")
    return queryset.prefetch_related(Prefetch("campaign_links", queryset=live, to_attr="live_campaign_links"))


def campaign_cell(deal):
    links = getattr(deal, "live_campaign_links", None) or []
    return str(links[0].campaign) if links else ""


def register():
    register_item("marketing:campaigns", NavItem(MARKETING, _("Campaigns"), "marketing:campaign_list",
                                                 icon="megaphone", testid="nav-campaigns"), 10)
    register_item("marketing:inquiries", NavItem(MARKETING, _("Inquiries"), "marketing:inquiry_list",
                                                 icon="inbox", testid="nav-inquiries"), 20)
    register_item("marketing:segments", NavItem(MARKETING, _("Segments"), "marketing:segment_list",
                                                icon="funnel", testid="nav-segments"), 25)
    register_item("marketing:groups", NavItem(MARKETING, _("Mailing groups"), "marketing:group_list",
                                              icon="people", testid="nav-groups"), 27)
    register_tab(CardTab("groups", _("Mailing groups"), url_name="marketing:card_groups",
                         testid="mailing-groups-tab"), 75)
    register_item("marketing:mailings", NavItem(MARKETING, _("Mailings"), "marketing:mailing_list",
                                                icon="envelope-paper", testid="nav-mailings"), 28)
    register_item("marketing:webforms", NavItem(MARKETING, _("Web forms"), "marketing:webform_list",
                                                icon="ui-checks", testid="nav-webforms"), 30)
    register_item("marketing:call_lists", NavItem(MARKETING, _("Call lists"), "marketing:calllist_list",
                                                  icon="telephone-outbound", testid="nav-call-lists"), 40)
    register_item("marketing:call_scripts", NavItem(MARKETING, _("Call scripts"), "marketing:callscript_list",
                                                    icon="card-checklist", testid="nav-call-scripts"), 41)
    register_panel(CardPanel("campaign", "marketing/deal_campaign_panel.html",
                             lambda request, deal: services.panel_context(request, deal), card=DEAL), order=10)
    register_filter(DEAL, "campaign", _campaign_filter)
    register_column("sales.DealTable", "campaign", Column(_("Campaign"), render=campaign_cell), prepare=prepare)
