from django.urls import include, path

app_name = "integrations"

urlpatterns = [
    path("exchange/", include("integrations.exchange.urls")),
]
