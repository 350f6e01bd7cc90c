"""Campaigns: list, card, edit (with cost lines), delete, history; the deal's campaign panel."""

from django.contrib import messages
from django.db import transaction
from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views import View

from core import access, history
from core.views import generic
from sales.models import Deal

from . import services
from .filtersets import CampaignFilterSet
from .forms import CampaignCostFormSet, CampaignForm, DealCampaignForm
from .models import Campaign
from .tables import CampaignTable

MONEY = DecimalField(max_digits=18, decimal_places=2)


def with_cost(queryset):
    live = Q(costs__deleted_at__isnull=True)
    return queryset.annotate(cost_total=Coalesce(Sum("costs__amount", filter=live), Value(0, output_field=MONEY)))


class CampaignListView(generic.ObjectListView):
    model = Campaign
    filterset_class = CampaignFilterSet
    table_class = CampaignTable
    add_url_name = "marketing:campaign_add"
    export_name = "campaigns"

    def get_base_queryset(self):
        return with_cost(self.get_queryset().select_related("responsible"))


class CampaignDetailView(generic.ObjectDetailView):
    model = Campaign
    template_name = "marketing/campaign_detail.html"

    def get_extra_context(self, obj):
        user = self.request.user
        return {
            "costs": obj.costs.filter(deleted_at__isnull=True).order_by("date", "pk"),
            "cost_total": obj.cost(),
            "deals": services.campaign_deals(obj, user)[:50],
            "can_change": access.can(user, access.CHANGE, Campaign),
        }


class CampaignEditView(generic.ObjectEditView):
    model = Campaign
    form_class = CampaignForm
    template_name = "marketing/campaign_edit.html"
    delete_url_name = "marketing:campaign_delete"
    formsets = {"costs": (CampaignCostFormSet, "cost")}


class CampaignDeleteView(generic.ObjectDeleteView):
    model = Campaign
    success_url_name = "marketing:campaign_list"


class CampaignHistoryView(generic.ObjectDetailView):
    model = Campaign
    template_name = "marketing/campaign_history.html"

    def get_extra_context(self, obj):
        records = list(Campaign.history.filter(id=obj.pk).order_by("history_date")[:500])
        records += obj.costs.model.history.filter(campaign_id=obj.pk).order_by("history_date")[:500]
        return {"entries": history.entries(sorted(records, key=lambda r: r.history_date))}


class DealCampaignView(generic.RestrictedMixin, View):
    """POST from the deal's campaign panel: set, change or clear the campaign of a deal the user
    may change (another's deal: 404)."""

    model = Deal
    action = access.CHANGE

    def post(self, request, pk):
        deal = get_object_or_404(self.get_queryset(access.CHANGE), pk=pk)
        form = DealCampaignForm(request.POST)
        if not form.is_valid():
            return render(request, "marketing/deal_campaign.html",
                          {"object": deal, **services.panel_context(request, deal, form)}, status=400)
        with transaction.atomic():
            services.set_deal_campaign(deal, form.cleaned_data["campaign"], request.user)
        messages.success(request, _("Campaign saved: %(name)s") % {"name": deal})
        return HttpResponseRedirect(deal.get_absolute_url())
