"""The management dashboard (home page for heads)."""

urlpatterns = []
