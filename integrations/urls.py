from .mail.urls import urlpatterns as mail_urls

app_name = "integrations"

urlpatterns = [
    *mail_urls,
]
