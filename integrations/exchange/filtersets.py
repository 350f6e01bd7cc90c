import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from activities.filtersets import text_q
from core.filtersets import BaseFilterSet, ChosenObjectWidget

from ..models import BankStatement, BankStatementLine


class StatementFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    uploaded_from = django_filters.DateFilter(label=_("Uploaded from"), field_name="uploaded_at",
                                              lookup_expr="date__gte")
    uploaded_to = django_filters.DateFilter(label=_("Uploaded to"), field_name="uploaded_at", lookup_expr="date__lte")

    class Meta:
        model = BankStatement
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(text_q("file_name", value)) if value else queryset


class StatementLineFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    state = django_filters.MultipleChoiceFilter(label=_("State"), choices=BankStatementLine.State.choices)
    statement = django_filters.NumberFilter(label=_("Bank statement"), field_name="statement_id",
                                            widget=ChosenObjectWidget("integrations.BankStatement"))
    counterparty = django_filters.NumberFilter(label=_("Client"), field_name="counterparty_id",
                                               widget=ChosenObjectWidget("clients.Counterparty"))
    date_from = django_filters.DateFilter(label=_("Date from"), field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(label=_("Date to"), field_name="date", lookup_expr="lte")

    class Meta:
        model = BankStatementLine
        fields = []

    def search(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Q(number__iexact=value) | Q(payer_inn=value) | text_q("payer_name", value)
                               | text_q("purpose", value))
