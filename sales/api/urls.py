"""Sales API resources, registered on the shared router (see klientura/api_urls.py)."""

from core.api.router import router

from . import views

router.register("pipelines", views.PipelineViewSet)
router.register("stages", views.StageViewSet)
router.register("lost-reasons", views.LostReasonViewSet)
router.register("lead-sources", views.LeadSourceViewSet)
router.register("stage-rules", views.StageRuleViewSet)
router.register("deals", views.DealViewSet)
router.register("deal-lines", views.DealLineViewSet)
router.register("documents", views.DocumentViewSet)
router.register("document-templates", views.DocumentTemplateViewSet)
router.register("orders", views.OrderViewSet)
router.register("order-lines", views.OrderLineViewSet)
router.register("shipments", views.ShipmentViewSet)
router.register("payments", views.PaymentViewSet)
router.register("order-failure-reasons", views.OrderFailureReasonViewSet)
router.register("products", views.ProductViewSet)
router.register("product-categories", views.ProductCategoryViewSet)
