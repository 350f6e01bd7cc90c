from importlib import import_module

app_name = "activities"

# Each area keeps its own routes: interactions & tasks, calendar, notifications, reports.
urlpatterns = []
for _area in ("interactions", "calendar", "notifications", "reports"):
    try:
        urlpatterns += import_module(f"activities.views.{_area}").urlpatterns
    except ModuleNotFoundError as exc:
        if exc.name != f"activities.views.{_area}":
            raise
