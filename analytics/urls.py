from django.urls import include, path  # noqa: F401

app_name = "analytics"

urlpatterns = [
    path("", include("analytics.views.overrides")),  # client card: class overrides
]
