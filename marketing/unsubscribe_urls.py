"""Public: the unsubscribe links of mailings (no login; the token is signed)."""

from django.urls import path

from .mailing_views import UnsubscribeView

app_name = "marketing_public"

urlpatterns = [path("<str:token>/", UnsubscribeView.as_view(), name="unsubscribe")]
