import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.models import Counterparty
from core.filtersets import BaseFilterSet
from sales.models import Product

from . import search
from .models import Article, ArticleCategory


class ArticleFilterSet(BaseFilterSet):
    kind = django_filters.MultipleChoiceFilter(label=pgettext_lazy("knowledge", "Kind"),
                                               choices=Article.Kind.choices)
    category = django_filters.ModelChoiceFilter(label=_("Category"), queryset=ArticleCategory.objects.all(),
                                                method="in_category", help_text=_("With its subcategories."))
    product = django_filters.ModelChoiceFilter(label=_("Product"), field_name="products",
                                               queryset=Product.objects.all())
    competitor = django_filters.ModelChoiceFilter(label=_("Competitor"), field_name="competitors",
                                                  queryset=Counterparty.objects.filter(is_competitor=True))
    published = django_filters.BooleanFilter(label=_("Published"))
    # Last: the other filters narrow the articles first, then the search ranks what is left (on SQLite
    # it keeps the best the requested page needs).
    q = django_filters.CharFilter(label=_("Search"), method="search",
                                  help_text=_("Full-text search (word forms too), best matches first."))

    class Meta:
        model = Article
        fields = []

    def in_category(self, queryset, name, value):
        return queryset.filter(category__in=value.subtree_ids()) if value else queryset

    def search(self, queryset, name, value):
        # Narrows and annotates ``rank``: the list and the API order by it when searching.
        return search.matching(queryset, value, search.window(self.data))
