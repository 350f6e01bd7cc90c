from rest_framework import serializers

from core.api.serializers import BaseModelSerializer

from ..models import Campaign, CampaignCost, DealCampaign


class CampaignSerializer(BaseModelSerializer):
    cost_total = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True,
                                          help_text="Σ of the campaign's live cost lines.")

    class Meta(BaseModelSerializer.Meta):
        model = Campaign

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if getattr(instance, "cost_total", None) is None:
            data["cost_total"] = f"{instance.cost():.2f}"
        return data


class CampaignCostSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = CampaignCost


class DealCampaignSerializer(BaseModelSerializer):
    deal_title = serializers.CharField(source="deal.title", read_only=True)
    campaign_name = serializers.CharField(source="campaign.name", read_only=True)

    class Meta(BaseModelSerializer.Meta):
        model = DealCampaign


