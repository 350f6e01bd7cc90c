"""Sales reports: funnel, forecast, won / lost, failures, interests by employee, profitability."""

urlpatterns = []
