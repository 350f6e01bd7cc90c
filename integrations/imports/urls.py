"""Routes of the imports (included into the ``integrations`` namespace)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.ImportListView.as_view(), name="import_list"),
    path("new/", views.ImportUploadView.as_view(), name="import_add"),
    path("<int:pk>/", views.ImportDetailView.as_view(), name="import"),
    path("<int:pk>/status/", views.ImportStatusView.as_view(), name="import_status"),
    path("<int:pk>/mapping/", views.ImportMappingView.as_view(), name="import_mapping"),
    path("<int:pk>/decisions/", views.ImportDecisionsView.as_view(), name="import_decisions"),
    path("<int:pk>/run/", views.ImportRunView.as_view(), name="import_run"),
    path("<int:pk>/cancel/", views.ImportCancelView.as_view(), name="import_cancel"),
    path("<int:pk>/errors.xlsx", views.ImportErrorsView.as_view(), name="import_errors"),
]
