"""REST API routes: every app registers its viewsets on the shared router."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.api.router import router
from core.api.views import ObtainTokenView

import core.api.urls  # noqa: F401,E402  registers core viewsets
import clients.api.urls  # noqa: F401,E402  registers client-base viewsets

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]
