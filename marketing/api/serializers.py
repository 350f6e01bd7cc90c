from django.utils.translation import gettext as _
from rest_framework import serializers

from clients.models import CounterpartyKind
from core.api.serializers import BaseModelSerializer

from ..models import (
    Campaign,
    CampaignCost,
    DealCampaign,
    GroupMember,
    Inquiry,
    MailingGroup,
    Segment,
    WebForm,
)


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




class InquirySerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = Inquiry
        read_only_fields = (*BaseModelSerializer.Meta.read_only_fields, "counterparty", "deal", "converted_at")

    def validate_state(self, value):
        if value == Inquiry.State.CONVERTED and getattr(self.instance, "state", None) != value:
            raise serializers.ValidationError(_("Converted is set by the conversion (POST …/convert/)."))
        return value


class ConvertSerializer(serializers.Serializer):
    counterparty = serializers.IntegerField(required=False, allow_null=True,
                                            help_text="An existing client to use instead of a new one.")
    name = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                 help_text="The new client's name (default: the company or the person).")
    kind = serializers.ChoiceField(choices=CounterpartyKind.choices, required=False)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    create_deal = serializers.BooleanField(required=False, default=True)
    deal_title = serializers.CharField(required=False, allow_blank=True, max_length=200)


class WebFormSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = WebForm
        read_only_fields = (*BaseModelSerializer.Meta.read_only_fields, "token")


class SegmentSerializer(BaseModelSerializer):
    clients_url = serializers.SerializerMethodField(help_text="The segment's clients: the client API with its filters.")

    class Meta(BaseModelSerializer.Meta):
        model = Segment

    def get_clients_url(self, obj) -> str:
        return f"/api/counterparties/?{obj.query}"


class MailingGroupSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = MailingGroup


class GroupMemberSerializer(BaseModelSerializer):
    counterparty_name = serializers.CharField(source="counterparty.name", read_only=True)

    class Meta(BaseModelSerializer.Meta):
        model = GroupMember
