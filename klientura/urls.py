from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("core.urls")),
    path("clients/", include("clients.urls")),
    path("activities/", include("activities.urls")),
    path("sales/", include("sales.urls")),
    path("analytics/", include("analytics.urls")),
    path("marketing/", include("marketing.urls")),
    path("service/", include("service.urls")),
    path("knowledge/", include("knowledge.urls")),
    path("integrations/", include("integrations.urls")),
    path("f/", include("marketing.public_urls")),  # web forms on the company's site (no login)
    path("unsubscribe/", include("marketing.unsubscribe_urls")),  # mailings' unsubscribe links (no login)
    path("s/", include("service.public_urls")),  # survey links of invitations (no login)
    path("api/", include("klientura.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

# MEDIA_ROOT (generated documents, uploaded templates) is never served by URL, not even with
# DEBUG: files go out only through views that check access (sales:document_download).
