import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from core.filtersets import BaseFilterSet

from .models import (
    ContactInfo,
    ContactKind,
    ContactPerson,
    Counterparty,
    CounterpartyGroup,
    Industry,
    Region,
    RelationshipType,
    SuppliedItem,
)
from .services import search_q


def _users():
    return get_user_model().objects.filter(is_active=True)


class CounterpartyFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Quick search"), method="quick_search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Counterparty._meta.get_field("kind").choices)
    group = django_filters.ModelChoiceFilter(label=_("Group (with subgroups)"),
                                             queryset=CounterpartyGroup.objects.all(), method="in_group")
    relationship_type = django_filters.ModelMultipleChoiceFilter(
        label=_("Relationship type"), queryset=RelationshipType.objects.all())
    main_manager = django_filters.ModelMultipleChoiceFilter(label=_("Main manager"), queryset=_users())
    no_manager = django_filters.BooleanFilter(label=_("Without main manager"),
                                              field_name="main_manager", lookup_expr="isnull")
    region = django_filters.ModelMultipleChoiceFilter(label=_("Region"), queryset=Region.objects.all())
    city = django_filters.CharFilter(label=_("City"), lookup_expr="icontains")
    industry = django_filters.ModelMultipleChoiceFilter(label=_("Industry"), queryset=Industry.objects.all())
    industry_segment = django_filters.CharFilter(label=_("Industry segment"), lookup_expr="icontains")
    tax_id = django_filters.CharFilter(label=_("Tax id"), lookup_expr="startswith")
    country = django_filters.ChoiceFilter(label=_("Country"),
                                          choices=Counterparty._meta.get_field("country").choices)
    is_client = django_filters.BooleanFilter(label=_("Client"))
    is_supplier = django_filters.BooleanFilter(label=_("Supplier"))
    is_partner = django_filters.BooleanFilter(label=_("Partner"))
    is_competitor = django_filters.BooleanFilter(label=_("Competitor"))
    registered_after = django_filters.DateFilter(label=_("Registered from"), field_name="registered_on",
                                                 lookup_expr="gte")
    registered_before = django_filters.DateFilter(label=_("Registered to"), field_name="registered_on",
                                                  lookup_expr="lte")
    created_after = django_filters.DateFilter(label=_("Created from"), field_name="created_at",
                                              lookup_expr="date__gte")
    created_before = django_filters.DateFilter(label=_("Created to"), field_name="created_at",
                                               lookup_expr="date__lte")
    has_email = django_filters.BooleanFilter(label=_("Has email"), method="has_contact_kind")
    has_phone = django_filters.BooleanFilter(label=_("Has phone"), method="has_contact_kind")

    class Meta:
        model = Counterparty
        fields = []

    def quick_search(self, queryset, name, value):
        return queryset.filter(search_q(value))

    def in_group(self, queryset, name, value):
        return queryset.filter(group_id__in=value.descendant_ids()) if value else queryset

    def has_contact_kind(self, queryset, name, value):
        if value is None:
            return queryset
        kinds = [ContactKind.EMAIL] if name == "has_email" else [ContactKind.PHONE, ContactKind.MOBILE]
        exists = Exists(ContactInfo.objects.filter(counterparty=OuterRef("pk"), kind__in=kinds))
        return queryset.filter(exists if value else ~exists)


class ContactPersonFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Quick search"), method="quick_search")
    counterparty = django_filters.NumberFilter(label=_("Counterparty id"))
    position = django_filters.CharFilter(label=_("Position"), lookup_expr="icontains")
    responsible = django_filters.ModelChoiceFilter(label=_("Responsible"), queryset=_users())
    birthday_month = django_filters.NumberFilter(label=_("Birthday month"), field_name="birthday",
                                                 lookup_expr="month")
    active = django_filters.BooleanFilter(label=_("Link active"), field_name="linked_to",
                                          lookup_expr="isnull")

    class Meta:
        model = ContactPerson
        fields = []

    def quick_search(self, queryset, name, value):
        q = Q()
        for word in value.split():
            q &= Q(last_name__icontains=word) | Q(first_name__icontains=word) | Q(
                middle_name__icontains=word) | Q(counterparty__name__icontains=word)
        return queryset.filter(q)


class ContactInfoFilterSet(BaseFilterSet):
    # Ids, not model choices: a choice field would reveal whether a hidden counterparty exists.
    counterparty = django_filters.NumberFilter(label=_("Counterparty id"))
    contact_person = django_filters.NumberFilter(label=_("Contact person id"))
    own = django_filters.BooleanFilter(label=_("Of the counterparty itself (no contact person)"),
                                       field_name="contact_person", lookup_expr="isnull")
    kind = django_filters.MultipleChoiceFilter(label=_("Type"), choices=ContactKind.choices)
    value = django_filters.CharFilter(label=_("Value"), lookup_expr="icontains")

    class Meta:
        model = ContactInfo
        fields = []


class SuppliedItemFilterSet(BaseFilterSet):
    counterparty = django_filters.NumberFilter(label=_("Supplier id"))
    q = django_filters.CharFilter(label=_("Item or article"), method="quick_search")

    class Meta:
        model = SuppliedItem
        fields = []

    def quick_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(sku__icontains=value))
