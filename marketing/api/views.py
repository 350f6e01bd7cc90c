import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from clients.models import Counterparty
from core import access
from core.api.views import BaseModelViewSet
from core.filtersets import BaseFilterSet

from .. import conversion
from ..filtersets import CampaignFilterSet, InquiryFilterSet
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


class InquiryViewSet(BaseModelViewSet):
    """Inquiries of potential clients; a sales manager sees those assigned to them or about their
    clients. ``POST …/convert/`` makes the client (or uses ``counterparty``), a contact person and a
    deal, as the inquiry's card does."""

    model = Inquiry
    serializer_class = serializers.InquirySerializer
    filterset_class = InquiryFilterSet
    select_related = ("campaign",)
    ordering_fields = ("id", "received_at")

    @extend_schema(request=serializers.ConvertSerializer, responses=serializers.InquirySerializer,
                   summary="Convert to a client and a deal")
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def convert(self, request, pk=None):
        inquiry = self.get_object()
        params = serializers.ConvertSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = dict(params.validated_data)
        existing = data.pop("counterparty", None)
        if existing is not None:
            existing = Counterparty.objects.restrict(request.user).filter(pk=existing).first()
            if existing is None:
                raise ValidationError({"counterparty": [_("No such client.")]})
        try:
            inquiry = conversion.convert(inquiry, request.user, counterparty=existing, **data)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict if hasattr(exc, "error_dict")
                                  else {"non_field_errors": exc.messages}) from None
        return Response(serializers.InquirySerializer(inquiry, context=self.get_serializer_context()).data)


class WebFormViewSet(BaseModelViewSet):
    """Web forms for the company's site (the token is what the site posts with)."""

    model = WebForm
    serializer_class = serializers.WebFormSerializer


class SegmentViewSet(BaseModelViewSet):
    """Client segments: ``query`` holds the client list's filters (the client API takes them too)."""

    model = Segment
    serializer_class = serializers.SegmentSerializer


class MailingGroupViewSet(BaseModelViewSet):
    """Mailing groups (static lists): marketers, heads and administrators keep them."""

    model = MailingGroup
    serializer_class = serializers.MailingGroupSerializer


class GroupMemberFilterSet(BaseFilterSet):
    group = django_filters.NumberFilter(field_name="group_id")
    counterparty = django_filters.NumberFilter(field_name="counterparty_id")

    class Meta:
        model = GroupMember
        fields = []


class GroupMemberViewSet(BaseModelViewSet):
    """Members of the mailing groups; a sales manager sees and changes their clients' memberships."""

    model = GroupMember
    serializer_class = serializers.GroupMemberSerializer
    filterset_class = GroupMemberFilterSet
    select_related = ("counterparty",)
