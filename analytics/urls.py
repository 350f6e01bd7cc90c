from django.urls import path  # noqa: F401

from .views import risks, runs, settings  # analysis runs, settings, at-risk list

app_name = "analytics"

urlpatterns = [
    path("runs/", runs.RunListView.as_view(), name="run_list"),
    path("runs/new/", runs.RunStartView.as_view(), name="run_add"),
    path("runs/<int:pk>/", runs.RunDetailView.as_view(), name="run"),
    path("runs/<int:pk>/status/", runs.RunStatusView.as_view(), name="run_status"),
    path("settings/", settings.AnalysisSettingsView.as_view(), name="settings"),
    path("risks/", risks.RiskListView.as_view(), name="risk_list"),
]
