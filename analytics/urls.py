from django.urls import path

from core.routes import crud_urls

from .views import overrides, plans, risks, runs, settings

app_name = "analytics"

urlpatterns = [
    path("clients/<int:pk>/override/", overrides.OverrideView.as_view(), name="override"),
    path("clients/<int:pk>/override/remove/", overrides.OverrideRemoveView.as_view(), name="override_remove"),
    path("runs/", runs.RunListView.as_view(), name="run_list"),
    path("runs/new/", runs.RunStartView.as_view(), name="run_add"),
    path("runs/<int:pk>/", runs.RunDetailView.as_view(), name="run"),
    path("runs/<int:pk>/status/", runs.RunStatusView.as_view(), name="run_status"),
    path("settings/", settings.AnalysisSettingsView.as_view(), name="settings"),
    path("risks/", risks.RiskListView.as_view(), name="risk_list"),
    *crud_urls("plans", "plan", list=plans.PlanListView, edit=plans.PlanEditView, delete=plans.PlanDeleteView,
               history=plans.PlanHistoryView),
]
