"""Integration API resources, registered on the shared router (see klientura/api_urls.py)."""

from integrations.exchange import api as exchange_api

exchange_api.register()  # /api/bank-statements/, /api/bank-statement-lines/
