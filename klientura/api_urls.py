"""REST API routes: every app registers its viewsets on the shared router."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

import activities.api.urls  # noqa: F401  registers interaction, task, reminder, calendar viewsets
import analytics.api.urls  # noqa: F401  registers analysis viewsets
import clients.api.urls  # noqa: F401  registers client-base viewsets
import core.api.urls  # noqa: F401  registers core viewsets
import integrations.api.urls  # noqa: F401  registers integration viewsets
import knowledge.api.urls  # noqa: F401  registers knowledge-base viewsets
import marketing.api.urls  # noqa: F401  registers campaign viewsets
import sales.api.urls  # noqa: F401  registers pipeline and deal viewsets
import service.api.urls  # noqa: F401  registers complaint, equipment and survey viewsets
from core.api.router import router
from core.api.views import ObtainTokenView

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]
