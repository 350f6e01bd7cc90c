import django_filters
from django.utils.translation import gettext_lazy as _

from core.filtersets import BaseFilterSet

from ..models import ImportJob


class ImportJobFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(field_name="file_name", lookup_expr="icontains", label=_("File"))

    class Meta:
        model = ImportJob
        fields = ["state", "kind"]
