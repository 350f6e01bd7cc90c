from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination: no COUNT, stable under inserts, fast on large tables."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"
