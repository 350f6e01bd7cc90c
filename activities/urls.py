from .views import calendar, interactions, notifications, reports

app_name = "activities"

# Each area keeps its own routes: interactions & tasks, calendar, notifications, reports.
urlpatterns = [
    *interactions.urlpatterns,
    *calendar.urlpatterns,
    *notifications.urlpatterns,
    *reports.urlpatterns,
]
