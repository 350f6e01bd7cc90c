import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from activities.filtersets import text_q
from core.filtersets import BaseFilterSet

from .models import Deal, Pipeline, Stage, StageRule


class DealFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    pipeline = django_filters.ModelChoiceFilter(label=_("Pipeline"), field_name="stage__pipeline",
                                                queryset=Pipeline.objects.all())
    stage = django_filters.ModelChoiceFilter(label=_("Stage"), queryset=Stage.objects.all())
    kind = django_filters.ChoiceFilter(label=_("State"), field_name="stage__kind", choices=Stage.Kind.choices)
    responsible = django_filters.ModelChoiceFilter(
        label=_("Responsible"), queryset=get_user_model().objects.filter(is_active=True))
    counterparty = django_filters.NumberFilter(label=_("Client id"), field_name="counterparty_id")
    close_after = django_filters.DateFilter(label=_("Expected close from"), field_name="expected_close_date",
                                            lookup_expr="gte")
    close_before = django_filters.DateFilter(label=_("Expected close to"), field_name="expected_close_date",
                                             lookup_expr="lte")

    class Meta:
        model = Deal
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(text_q("title", value) | text_q("counterparty__name", value))


class StageRuleFilterSet(BaseFilterSet):
    stage = django_filters.ModelChoiceFilter(label=_("Stage"), queryset=Stage.objects.all())

    class Meta:
        model = StageRule
        fields = []
