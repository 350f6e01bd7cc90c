"""Campaigns: list, card, edit (with cost lines), delete, history; the deal's campaign panel."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from clients.filtersets import CounterpartyFilterSet
from clients.models import Counterparty, CounterpartyKind
from core import access
from core.views import generic
from sales.models import Deal

from . import conversion, segments, services
from .filtersets import CampaignFilterSet, InquiryFilterSet, SegmentFilterSet, WebFormFilterSet
from .forms import (
    CampaignCostFormSet,
    CampaignForm,
    ConvertForm,
    DealCampaignForm,
    InquiryForm,
    SegmentForm,
    WebFormForm,
)
from .models import Campaign, Inquiry, Segment, WebForm
from .snippet import snippet
from .tables import CampaignTable, InquiryTable, SegmentTable, WebFormTable

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
            "funnel": services.campaign_funnel(obj, user),
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


class CampaignHistoryView(generic.ObjectHistoryView):
    model = Campaign
    list_url_name = "marketing:campaign_list"

    def records(self, obj):
        costs = obj.costs.model.history.filter(campaign_id=obj.pk).order_by("history_date")[:500]
        return super().records(obj) + list(costs)


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


class InquiryListView(generic.ObjectListView):
    model = Inquiry
    filterset_class = InquiryFilterSet
    table_class = InquiryTable
    add_url_name = "marketing:inquiry_add"
    export_name = "inquiries"

    def get_base_queryset(self):
        return self.get_queryset().select_related("campaign", "responsible")


class InquiryDetailView(generic.ObjectDetailView):
    model = Inquiry
    template_name = "marketing/inquiry_detail.html"

    def get_extra_context(self, obj):
        user = self.request.user
        can_change = access.may(user, access.CHANGE, obj)
        return {"can_change": can_change,
                "can_convert": can_change and obj.state != Inquiry.State.CONVERTED,
                "client_visible": obj.counterparty_id and Counterparty.objects.restrict(user).filter(
                    pk=obj.counterparty_id).exists(),
                "deal_visible": obj.deal_id and Deal.objects.restrict(user).filter(pk=obj.deal_id).exists()}


class InquiryEditView(generic.ObjectEditView):
    model = Inquiry
    form_class = InquiryForm
    delete_url_name = "marketing:inquiry_delete"


class InquiryDeleteView(generic.ObjectDeleteView):
    model = Inquiry
    success_url_name = "marketing:inquiry_list"


class InquiryHistoryView(generic.ObjectHistoryView):
    model = Inquiry
    list_url_name = "marketing:inquiry_list"


class InquiryConvertView(generic.RestrictedMixin, View):
    """GET: what the conversion will make, with the likely duplicates; POST: convert."""

    model = Inquiry
    action = access.CHANGE
    template_name = "marketing/inquiry_convert.html"

    def inquiry(self, pk):
        return get_object_or_404(self.get_queryset(access.CHANGE), pk=pk)

    def get(self, request, pk):
        inquiry = self.inquiry(pk)
        last, first = conversion.split_name(inquiry.person_name)
        form = ConvertForm(initial={
            "name": inquiry.company or inquiry.person_name, "last_name": last, "first_name": first,
            "kind": CounterpartyKind.LEGAL if inquiry.company else CounterpartyKind.INDIVIDUAL,
            "deal_title": inquiry.message.strip().split("\n")[0][:200] or str(inquiry)},
            duplicates=conversion.duplicates(inquiry, request.user))
        return self.show(inquiry, form)

    def post(self, request, pk):
        inquiry = self.inquiry(pk)
        found = conversion.duplicates(inquiry, request.user, name=request.POST.get("name", ""))
        form = ConvertForm(request.POST, duplicates=found)
        if not form.is_valid():
            return self.show(inquiry, form, status=400)
        data = form.cleaned_data
        existing = None
        if data["existing"] is not None:
            existing = Counterparty.objects.restrict(request.user).filter(pk=data["existing"]).first()
        try:
            inquiry = conversion.convert(
                inquiry, request.user, counterparty=existing, name=data["name"], kind=data["kind"],
                last_name=data["last_name"], first_name=data["first_name"], deal_title=data["deal_title"],
                create_deal=data["create_deal"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]:
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            return self.show(inquiry, form, status=400)
        messages.success(request, _("Converted: %(name)s") % {"name": inquiry})
        return HttpResponseRedirect(inquiry.deal.get_absolute_url() if inquiry.deal
                                    else inquiry.counterparty.get_absolute_url())

    def show(self, inquiry, form, status=200):
        return render(self.request, self.template_name, {"object": inquiry, "form": form}, status=status)


class WebFormListView(generic.ObjectListView):
    model = WebForm
    filterset_class = WebFormFilterSet
    table_class = WebFormTable
    add_url_name = "marketing:webform_add"

    def get_base_queryset(self):
        return self.get_queryset().select_related("campaign", "responsible")


class WebFormDetailView(generic.ObjectDetailView):
    model = WebForm
    template_name = "marketing/webform_detail.html"

    def get_extra_context(self, obj):
        base_url = self.request.build_absolute_uri("/")
        return {"snippet": snippet(obj, base_url), "can_change": access.can(self.request.user, access.CHANGE, WebForm),
                "inquiries": Inquiry.objects.restrict(self.request.user).filter(
                    channel=Inquiry.Channel.WEB_FORM, campaign=obj.campaign).count() if obj.campaign_id else None}


class WebFormEditView(generic.ObjectEditView):
    model = WebForm
    form_class = WebFormForm
    delete_url_name = "marketing:webform_delete"


class WebFormDeleteView(generic.ObjectDeleteView):
    model = WebForm
    success_url_name = "marketing:webform_list"


class WebFormHistoryView(generic.ObjectHistoryView):
    model = WebForm
    list_url_name = "marketing:webform_list"


class SegmentListView(generic.ObjectListView):
    model = Segment
    filterset_class = SegmentFilterSet
    table_class = SegmentTable
    add_url_name = "marketing:segment_add"


class SegmentDetailView(generic.ObjectDetailView):
    model = Segment
    template_name = "marketing/segment_detail.html"

    def get_extra_context(self, obj):
        clients, _filterset = segments.segment_queryset(obj.query, self.request.user)
        return {"conditions": segments.conditions(obj.query), "count": clients.count(),
                "list_url": f"{reverse('clients:counterparty_list')}?{obj.query}",
                "can_change": access.can(self.request.user, access.CHANGE, Segment)}


class SegmentEditView(generic.ObjectEditView):
    model = Segment
    form_class = SegmentForm
    template_name = "marketing/segment_edit.html"
    delete_url_name = "marketing:segment_delete"

    def get_form(self, obj, data=None):
        if data is not None:
            data = data.copy()
            data["query"] = segments.query_from(data)
        return self.form_class(data, instance=obj, user=self.request.user)

    def form_context(self, obj, form):
        data = form.data if form.is_bound else QueryDict(obj.query or "")
        filterset = CounterpartyFilterSet(data, queryset=Counterparty.objects.none())
        return {"filters": filterset.form}


class SegmentDeleteView(generic.ObjectDeleteView):
    model = Segment
    success_url_name = "marketing:segment_list"


class SegmentHistoryView(generic.ObjectHistoryView):
    model = Segment
    list_url_name = "marketing:segment_list"
