from .views import card, dashboard, deals, documents, orders, reports

app_name = "sales"

# Each area keeps its own routes: deals & settings, orders, documents, reports, dashboard.
urlpatterns = [
    *deals.urlpatterns,
    *orders.urlpatterns,
    *documents.urlpatterns,
    *reports.urlpatterns,
    *dashboard.urlpatterns,
    *card.urlpatterns,
]
