"""Sales API resources, registered on the shared router (see klientura/api_urls.py)."""

from core.api.router import router

from . import views

router.register("pipelines", views.PipelineViewSet)
router.register("stages", views.StageViewSet)
router.register("lost-reasons", views.LostReasonViewSet)
router.register("stage-rules", views.StageRuleViewSet)
router.register("deals", views.DealViewSet)
router.register("deal-lines", views.DealLineViewSet)
