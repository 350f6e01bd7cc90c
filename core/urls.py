from django.contrib.auth import views as auth_views
from django.urls import path

from . import reports, views
from .views import attachments, language, myday

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("my-day/", myday.my_day, name="my_day"),
    path("my-day/<slug:section>/<int:pk>/<slug:action>/", myday.my_day_action, name="my_day_action"),
    path("login/", auth_views.LoginView.as_view(template_name="core/login.html",
                                                redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("trash/", views.TrashView.as_view(), name="trash"),
    path("trash/<str:label>/<int:pk>/restore/", views.RestoreView.as_view(), name="restore"),
    path("attachments/<int:pk>/download/", attachments.AttachmentDownloadView.as_view(), name="attachment_download"),
    path("attachments/<int:pk>/delete/", attachments.AttachmentDeleteView.as_view(), name="attachment_delete"),
    path("attachments/<str:label>/<int:pk>/", attachments.AttachmentsView.as_view(), name="attachments"),
    path("attachments/<str:label>/<int:pk>/add/", attachments.AttachmentAddView.as_view(), name="attachment_add"),
    path("reports/", reports.ReportIndexView.as_view(), name="reports"),
    path("reports/<slug:slug>/", reports.ReportView.as_view(), name="report"),
    path("i18n/setlang/", language.set_language, name="set_language"),  # before django.conf.urls.i18n
    path("filters/save/", views.save_filter, name="save_filter"),
    path("filters/<int:pk>/delete/", views.delete_filter, name="delete_filter"),
]
