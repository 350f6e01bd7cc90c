"""Filters of the call list, shared by the page, its exports and the API."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from activities.filtersets import PeriodFilter
from core.filtersets import YES_NO, BaseFilterSet, ChosenObjectWidget

from ..models import Call


def _users():
    return get_user_model().objects.filter(is_active=True)


class CallFilterSet(BaseFilterSet):
    started_after = PeriodFilter(field_name="started_at", label=_("From"))
    started_before = PeriodFilter(field_name="started_at", upper=True, label=_("To"))
    direction = django_filters.ChoiceFilter(label=_("Direction"), choices=Call.Direction.choices)
    missed = django_filters.ChoiceFilter(label=_("Missed"), choices=YES_NO, method="filter_missed")
    state = django_filters.MultipleChoiceFilter(label=_("State"), choices=Call.State.choices)
    employee = django_filters.ModelMultipleChoiceFilter(label=_("Employee"), queryset=_users(),
                                                        method="filter_employee")
    # An id from a link (the client card); a choice field would reveal hidden clients.
    counterparty = django_filters.NumberFilter(label=_("Counterparty"),
                                               widget=ChosenObjectWidget("clients.Counterparty"))
    number = django_filters.CharFilter(label=_("Number"), method="filter_number")

    class Meta:
        model = Call
        fields = []

    def filter_missed(self, queryset, name, value):
        if value in (None, ""):
            return queryset
        missed = Q(state=Call.State.MISSED)
        return queryset.filter(missed) if value == "true" else queryset.exclude(missed)

    def filter_employee(self, queryset, name, value: int):
        if not value:
            return queryset
        return queryset.filter(Q(user__in=value) | Q(answered_by__in=value))

    def filter_number(self, queryset, name, value):
        from .services import normalise_number

        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(number__contains=normalise_number(value))
