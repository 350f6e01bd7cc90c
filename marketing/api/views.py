import django_filters

from core.api.views import BaseModelViewSet
from core.filtersets import BaseFilterSet

from ..filtersets import CampaignFilterSet
from ..models import Campaign, CampaignCost, DealCampaign
from ..views import with_cost
from . import serializers


class CampaignViewSet(BaseModelViewSet):
    """Marketing campaigns: everyone reads; marketers, heads and administrators write."""

    model = Campaign
    serializer_class = serializers.CampaignSerializer
    filterset_class = CampaignFilterSet
    ordering_fields = ("id", "start", "name")

    def get_queryset(self):
        qs = super().get_queryset()
        return with_cost(qs) if self.action in ("list", "retrieve") else qs


class CampaignCostFilterSet(BaseFilterSet):
    campaign = django_filters.NumberFilter(field_name="campaign_id")

    class Meta:
        model = CampaignCost
        fields = []


class CampaignCostViewSet(BaseModelViewSet):
    """Cost lines of the campaigns (amounts in the campaign's currency)."""

    model = CampaignCost
    serializer_class = serializers.CampaignCostSerializer
    filterset_class = CampaignCostFilterSet
    ordering_fields = ("id", "date")


class DealCampaignFilterSet(BaseFilterSet):
    deal = django_filters.NumberFilter(field_name="deal_id")
    campaign = django_filters.NumberFilter(field_name="campaign_id")

    class Meta:
        model = DealCampaign
        fields = []


class DealCampaignViewSet(BaseModelViewSet):
    """The campaign a deal came from (one live row per deal); a sales manager sees their deals' rows."""

    model = DealCampaign
    serializer_class = serializers.DealCampaignSerializer
    filterset_class = DealCampaignFilterSet
    select_related = ("deal", "campaign")
