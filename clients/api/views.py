import django_filters
from django.db.models import Prefetch

from core.api.views import BaseModelViewSet, reference_viewset
from core.models import CustomProperty

from ..filtersets import (
    ContactInfoFilterSet,
    ContactPersonFilterSet,
    CounterpartyFilterSet,
    SuppliedItemFilterSet,
)
from ..models import (
    ContactInfo,
    ContactPerson,
    Counterparty,
    CounterpartyGroup,
    Industry,
    Region,
    RelationshipType,
    SuppliedItem,
)
from . import serializers


class CounterpartyViewSet(BaseModelViewSet):
    """Counterparties with their own contact information.

    Filters are those of the HTML list, incl. quick search ``q`` and ``prop_<code>`` filters
    on custom properties; contact persons: ``/api/contact-persons/?counterparty=<id>``.
    """

    model = Counterparty
    serializer_class = serializers.CounterpartySerializer
    filterset_class = CounterpartyFilterSet
    ordering = ("name",)
    ordering_fields = ("name", "created_at", "city", "tax_id", "id")  # indexed columns only
    prefetch_related = (
        Prefetch("contact_info", queryset=ContactInfo.objects.filter(contact_person__isnull=True)),
        "shared_with",
    )

    def history_records(self, obj):
        # The card's history: the counterparty with its persons and contact information.
        records = super().history_records(obj)
        records += ContactPerson.history.filter(counterparty_id=obj.pk).order_by("history_date")[:500]
        records += ContactInfo.history.filter(counterparty_id=obj.pk).order_by("history_date")[:500]
        return records


class ContactPersonViewSet(BaseModelViewSet):
    model = ContactPerson
    serializer_class = serializers.ContactPersonSerializer
    filterset_class = ContactPersonFilterSet
    prefetch_related = ("contact_info",)

    def history_records(self, obj):
        records = super().history_records(obj)
        records += ContactInfo.history.filter(contact_person_id=obj.pk).order_by("history_date")[:500]
        return records


class ContactInfoViewSet(BaseModelViewSet):
    model = ContactInfo
    serializer_class = serializers.ContactInfoSerializer
    filterset_class = ContactInfoFilterSet


class SuppliedItemViewSet(BaseModelViewSet):
    model = SuppliedItem
    serializer_class = serializers.SuppliedItemSerializer
    filterset_class = SuppliedItemFilterSet


CounterpartyGroupViewSet = reference_viewset(
    CounterpartyGroup, serializers.CounterpartyGroupSerializer,
    parent=django_filters.NumberFilter(field_name="parent"))
RelationshipTypeViewSet = reference_viewset(RelationshipType, serializers.RelationshipTypeSerializer)
RegionViewSet = reference_viewset(Region, serializers.RegionSerializer)
IndustryViewSet = reference_viewset(Industry, serializers.IndustrySerializer)
CustomPropertyViewSet = reference_viewset(
    CustomProperty, serializers.CustomPropertySerializer,
    target=django_filters.ChoiceFilter(choices=CustomProperty._meta.get_field("target").choices),
    kind=django_filters.ChoiceFilter(choices=CustomProperty._meta.get_field("kind").choices))
