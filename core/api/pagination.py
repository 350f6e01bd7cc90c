"""Keyset pagination for the API, sharing core.pagination with the HTML lists."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.utils.urls import replace_query_param

from core.pagination import paginate


def keyset_ordering(queryset, view=None):
    """The queryset's ordering with a unique tail (pk), so every row has exactly one position."""
    ordering = [o for o in queryset.query.order_by if isinstance(o, str)]
    if not ordering:
        ordering = list(getattr(view, "ordering", None) or ())
    if not ordering or ordering[-1].lstrip("-") not in ("pk", "id"):
        desc = bool(ordering) and ordering[0].startswith("-")
        ordering.append("-pk" if desc else "pk")
    return ordering


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination: no COUNT and no OFFSET, stable under inserts, fast on large tables.

    Unlike DRF's cursor (position on the first ordering field + offset), the cursor holds
    every ordering key, so ordering by a non-unique column such as ``name`` stays exact.
    Ordering comes from the queryset (OrderingFilter limits it to indexed fields).
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-pk"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        cursor = request.query_params.get(self.cursor_query_param)
        try:
            self.page = paginate(queryset, keyset_ordering(queryset, view), cursor, self.page_size)
        except (ValueError, TypeError, DjangoValidationError):
            # A hand-made cursor whose values do not fit the ordering columns.
            raise NotFound(self.invalid_cursor_message) from None
        return self.page.items

    def get_page_size(self, request):
        try:
            size = int(request.query_params.get(self.page_size_query_param, self.page_size))
        except (TypeError, ValueError):
            return self.page_size
        return max(1, min(size, self.max_page_size))

    def _link(self, cursor):
        if not cursor:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_next_link(self):
        return self._link(self.page.next_cursor)

    def get_previous_link(self):
        return self._link(self.page.prev_cursor)
