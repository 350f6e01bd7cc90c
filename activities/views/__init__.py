"""Views of the activities app, one module per area; each exposes ``urlpatterns``."""
