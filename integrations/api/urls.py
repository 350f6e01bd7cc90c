"""Integration API resources, registered on the shared router (see klientura/api_urls.py)."""

from ..imports import api as imports_api  # noqa: F401  registers imports
