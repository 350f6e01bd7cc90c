import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from activities.filtersets import text_q
from core.filtersets import BaseFilterSet, ChosenObjectWidget

from .models import (
    Deal,
    Document,
    DocumentKind,
    DocumentTemplate,
    LeadSource,
    Order,
    OrderFailureReason,
    Pipeline,
    Product,
    ProductCategory,
    ProductKind,
    Stage,
    StageRule,
)


class DealFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    pipeline = django_filters.ModelChoiceFilter(label=_("Pipeline"), field_name="stage__pipeline",
                                                queryset=Pipeline.objects.all())
    stage = django_filters.ModelChoiceFilter(label=_("Stage"), queryset=Stage.objects.all())
    kind = django_filters.ChoiceFilter(label=_("State"), field_name="stage__kind", choices=Stage.Kind.choices)
    responsible = django_filters.ModelChoiceFilter(
        label=_("Responsible"), queryset=get_user_model().objects.filter(is_active=True))
    counterparty = django_filters.NumberFilter(label=_("Client"), field_name="counterparty_id",
                                               widget=ChosenObjectWidget("clients.Counterparty"))
    lead_source = django_filters.ModelMultipleChoiceFilter(label=_("Lead source"),
                                                           queryset=LeadSource.objects.all())
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


class DocumentTemplateFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains")
    kind = django_filters.ChoiceFilter(label=pgettext_lazy("document", "Kind"), choices=DocumentKind.choices)

    class Meta:
        model = DocumentTemplate
        fields = ["is_active"]


class DocumentFilterSet(BaseFilterSet):
    counterparty = django_filters.NumberFilter(label=_("Client"), field_name="counterparty_id",
                                               widget=ChosenObjectWidget("clients.Counterparty"))
    deal = django_filters.NumberFilter(label=_("Deal"), field_name="deal_id",
                                       widget=ChosenObjectWidget("sales.Deal"))
    order = django_filters.NumberFilter(label=_("Order"), field_name="order_id",
                                        widget=ChosenObjectWidget("sales.Order"))
    kind = django_filters.ChoiceFilter(label=pgettext_lazy("document", "Kind"), choices=DocumentKind.choices)
    format = django_filters.ChoiceFilter(label=_("Format"), choices=Document.Format.choices)

    class Meta:
        model = Document
        fields = []


class OrderFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    state = django_filters.MultipleChoiceFilter(label=_("State"), choices=Order.State.choices)
    responsible = django_filters.ModelChoiceFilter(
        label=_("Responsible"), queryset=get_user_model().objects.filter(is_active=True))
    counterparty = django_filters.NumberFilter(label=_("Client"), field_name="counterparty_id",
                                               widget=ChosenObjectWidget("clients.Counterparty"))
    date_from = django_filters.DateFilter(label=_("Date from"), field_name="date", lookup_expr="gte",
                                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_to = django_filters.DateFilter(label=_("Date to"), field_name="date", lookup_expr="lte",
                                        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    failure_reason = django_filters.ModelChoiceFilter(label=_("Failure reason"),
                                                      queryset=OrderFailureReason.objects.all())
    deal = django_filters.NumberFilter(label=_("Deal"), field_name="deal_id",
                                       widget=ChosenObjectWidget("sales.Deal"))

    class Meta:
        model = Order
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__iexact=value) | text_q("counterparty__name", value))


# --- Product catalogue ----------------------------------------------------------------------------

def filter_category(queryset, name, value: int):  # the hint types the API parameter (an id)
    """Products of the category and of all its subcategories."""
    from .models.products import category_tree_ids

    if not value:
        return queryset
    return queryset.filter(category_id__in=category_tree_ids([getattr(value, "pk", value)]))


class ProductFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search", help_text=_("Name or article."))
    category = django_filters.ModelChoiceFilter(label=_("Category"), queryset=ProductCategory.objects.all(),
                                                method=filter_category)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=ProductKind.choices)
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Product
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(text_q("name", value) | text_q("article", value))


class ProductCategoryFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Name"), field_name="name", lookup_expr="icontains")
    parent = django_filters.ModelChoiceFilter(label=_("Parent category"), queryset=ProductCategory.objects.all())

    class Meta:
        model = ProductCategory
        fields = []
