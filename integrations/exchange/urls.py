"""Routes of the exchange with 1C (included under ``integrations/exchange/``, namespace "integrations")."""

from django.urls import path

from core.routes import crud_urls

from . import onec_http, views

urlpatterns = [
    *crud_urls("statements", "bankstatement", list=views.StatementListView, detail=views.StatementDetailView),
    path("statements/upload/", views.StatementUploadView.as_view(), name="bankstatement_upload"),
    *crud_urls("payments", "bankstatementline", list=views.StatementLineListView,
               detail=views.StatementLineDetailView),
    path("payments/<int:pk>/assign/", views.StatementLineAssignView.as_view(), name="bankstatementline_assign"),
    path("payments/<int:pk>/ignore/", views.StatementLineIgnoreView.as_view(), name="bankstatementline_ignore"),
    path("payments/<int:pk>/reopen/", views.StatementLineReopenView.as_view(), name="bankstatementline_reopen"),
]
urlpatterns += [
    path("1c/", onec_http.ExchangeView.as_view(), name="onec_exchange"),
    path("1c/log/", views.ExchangeLogView.as_view(), name="onec_log"),
]
