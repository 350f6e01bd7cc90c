import datetime

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activities.filtersets import text_q
from core.filtersets import BaseFilterSet, ChosenObjectWidget
from sales.models import Product

from .models import Equipment, ServiceContract, ServiceVisit

MAX_DAYS = 3660


def _days(value):
    """A day count within ten years (bigger numbers mean the same and would overflow a date)."""
    return datetime.timedelta(days=min(max(int(value), 0), MAX_DAYS))


def _engineers():
    return get_user_model().objects.filter(is_active=True)


class ServiceContractFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    counterparty = django_filters.NumberFilter(label=_("Client"), field_name="counterparty_id",
                                               widget=ChosenObjectWidget("clients.Counterparty"))
    engineer = django_filters.ModelChoiceFilter(label=_("Service engineer"), queryset=_engineers())
    active_on = django_filters.DateFilter(label=_("Running on"), method="running_on")
    ending_within = django_filters.NumberFilter(label=_("Ending within, days"), method="ending")

    class Meta:
        model = ServiceContract
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | text_q("counterparty__name", value)) if value else queryset

    def running_on(self, queryset, name, value):
        return queryset.filter(start__lte=value, end__gte=value) if value else queryset

    def ending(self, queryset, name, value):
        if value is None:
            return queryset
        today = timezone.localdate()
        return queryset.filter(end__gte=today, end__lte=today + _days(value))


class EquipmentFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    counterparty = django_filters.NumberFilter(label=_("Client"), field_name="counterparty_id",
                                               widget=ChosenObjectWidget("clients.Counterparty"))
    product = django_filters.ModelChoiceFilter(label=_("Model"), queryset=Product.objects.all())
    contract = django_filters.NumberFilter(label=_("Service contract"), field_name="contract_id",
                                           widget=ChosenObjectWidget("service.ServiceContract"))
    warranty_within = django_filters.NumberFilter(label=_("Warranty ending within, days"), method="warranty")
    under_warranty = django_filters.BooleanFilter(label=_("Under warranty"), method="in_warranty")

    class Meta:
        model = Equipment
        fields = []

    def search(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Q(serial_number__icontains=value) | text_q("product__name", value)
                               | text_q("counterparty__name", value) | Q(address__icontains=value))

    def warranty(self, queryset, name, value):
        if value is None:
            return queryset
        today = timezone.localdate()
        return queryset.filter(warranty_until__gte=today,
                               warranty_until__lte=today + _days(value))

    def in_warranty(self, queryset, name, value):
        if value is None:
            return queryset
        today = timezone.localdate()
        inside = Q(warranty_until__gte=today)
        return queryset.filter(inside) if value else queryset.exclude(inside)


class ServiceVisitFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    counterparty = django_filters.NumberFilter(label=_("Client"), field_name="counterparty_id",
                                               widget=ChosenObjectWidget("clients.Counterparty"))
    equipment = django_filters.NumberFilter(label=_("Equipment"), field_name="equipment_id",
                                            widget=ChosenObjectWidget("service.Equipment"))
    contract = django_filters.NumberFilter(label=_("Service contract"), field_name="contract_id",
                                           widget=ChosenObjectWidget("service.ServiceContract"))
    engineer = django_filters.ModelChoiceFilter(label=_("Service engineer"), queryset=_engineers())
    kind = django_filters.MultipleChoiceFilter(label=_("Kind"), choices=ServiceVisit.Kind.choices)
    state = django_filters.MultipleChoiceFilter(label=_("State"), choices=ServiceVisit.State.choices)
    date_from = django_filters.DateFilter(label=_("Date from"), field_name="planned_start", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(label=_("Date to"), field_name="planned_start", lookup_expr="date__lte")

    class Meta:
        model = ServiceVisit
        fields = []

    def search(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(text_q("counterparty__name", value) | Q(report__icontains=value)
                               | Q(equipment__serial_number__icontains=value))
