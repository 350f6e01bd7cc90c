from django.urls import path

from core.routes import crud_urls

from . import views

urlpatterns = [
    *crud_urls("calls", "call", list=views.CallListView, detail=views.CallDetailView, delete=views.CallDeleteView),
    path("calls/<int:call>/new-client/", views.CallClientCreateView.as_view(), name="call_new_client"),
    path("popup/", views.CallPopupView.as_view(), name="call_popup"),
    *crud_urls("extensions", "extension", list=views.PhoneExtensionListView, edit=views.PhoneExtensionEditView,
               delete=views.PhoneExtensionDeleteView),
]
