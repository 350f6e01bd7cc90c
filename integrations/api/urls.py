"""Integration API resources, registered on the shared router (see klientura/api_urls.py)."""
