from django.urls import include, path

app_name = "integrations"

urlpatterns = [
    path("", include("integrations.webhooks.urls")),
]
