"""Integration API resources, registered on the shared router (see klientura/api_urls.py)."""

from ..telephony import api as telephony_api  # noqa: F401  registers /api/telephony/events/ and /calls/
