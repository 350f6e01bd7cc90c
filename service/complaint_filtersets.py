import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activities.filtersets import text_q
from core.filtersets import BaseFilterSet, ChosenObjectWidget

from .models import Complaint, ComplaintType
from .models.complaints import open_complaint


class ComplaintFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    state = django_filters.MultipleChoiceFilter(label=_("State"), choices=Complaint.State.choices)
    type = django_filters.ModelMultipleChoiceFilter(label=_("Type"), queryset=ComplaintType.objects.all())
    counterparty = django_filters.NumberFilter(label=_("Client"), field_name="counterparty_id",
                                               widget=ChosenObjectWidget("clients.Counterparty"))
    responsible = django_filters.ModelChoiceFilter(label=_("Responsible"),
                                                   queryset=get_user_model().objects.filter(is_active=True))
    overdue = django_filters.BooleanFilter(label=_("Overdue"), method="filter_overdue")
    received_from = django_filters.DateFilter(label=_("Received from"), field_name="received_at",
                                              lookup_expr="date__gte")
    received_to = django_filters.DateFilter(label=_("Received to"), field_name="received_at",
                                            lookup_expr="date__lte")

    class Meta:
        model = Complaint
        fields = []

    def search(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Q(number__iexact=value) | text_q("subject", value) | text_q("counterparty__name", value))

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.filter(open_complaint(), deadline__lt=timezone.now())
        return queryset.exclude(Q(state__in=Complaint.OPEN_STATES, deadline__lt=timezone.now()))
