"""Documents from templates: generate, download, template settings."""

urlpatterns = []
