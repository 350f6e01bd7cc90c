"""Analytics API resources, registered on the shared router (see klientura/api_urls.py)."""

from core.api.router import router

from . import (
    kpi,
    overrides,  # noqa: F401  registers classifications, class-overrides
    runs,  # noqa: F401  analysis runs (start, status, rows) and the at-risk list
)

router.register("sales-plans", kpi.SalesPlanViewSet)
router.register("manager-indicators", kpi.ManagerIndicatorsViewSet, basename="manager-indicators")
