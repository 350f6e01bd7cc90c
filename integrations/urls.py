from django.urls import include, path

app_name = "integrations"

urlpatterns = [
    path("imports/", include("integrations.imports.urls")),
]
