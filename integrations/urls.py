from django.urls import include, path

app_name = "integrations"

urlpatterns = [
    path("telephony/", include("integrations.telephony.urls")),
]
