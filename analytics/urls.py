from django.urls import path  # noqa: F401

from core.routes import crud_urls

from .views import plans

app_name = "analytics"

urlpatterns = [
    *crud_urls("plans", "plan", list=plans.PlanListView, edit=plans.PlanEditView, delete=plans.PlanDeleteView,
               history=plans.PlanHistoryView),
]
