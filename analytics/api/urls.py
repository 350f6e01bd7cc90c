"""Analytics API resources, registered on the shared router (see klientura/api_urls.py)."""

from core.api.router import router

from . import kpi

router.register("sales-plans", kpi.SalesPlanViewSet)
router.register("manager-indicators", kpi.ManagerIndicatorsViewSet, basename="manager-indicators")
