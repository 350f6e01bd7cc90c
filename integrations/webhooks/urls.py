"""Routes of the webhook pages, included by integrations/urls.py (names ``integrations:webhook…``)."""

from django.urls import path

from core.routes import crud_urls

from . import views

urlpatterns = [
    *crud_urls("webhooks", "webhook", list=views.SubscriptionListView, detail=views.SubscriptionDetailView,
               edit=views.SubscriptionEditView, delete=views.SubscriptionDeleteView,
               history=views.SubscriptionHistoryView),
    path("webhooks/<int:pk>/secret/", views.RegenerateSecretView.as_view(), name="webhook_secret"),
    *crud_urls("webhook-deliveries", "webhook_delivery", list=views.DeliveryListView,
               detail=views.DeliveryDetailView),
    path("webhook-deliveries/<int:pk>/resend/", views.ResendView.as_view(), name="webhook_delivery_resend"),
]
