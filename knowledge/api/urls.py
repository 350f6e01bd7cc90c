"""Knowledge API resources, registered on the shared router (see klientura/api_urls.py)."""

from core.api.router import router  # noqa: F401
