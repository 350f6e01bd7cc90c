from django.urls import include, path

from .mail.urls import urlpatterns as mail_urls

app_name = "integrations"

urlpatterns = [
    *mail_urls,
    path("", include("integrations.webhooks.urls")),
    path("telephony/", include("integrations.telephony.urls")),
    path("exchange/", include("integrations.exchange.urls")),
    path("imports/", include("integrations.imports.urls")),
]
