"""Knowledge API resources, registered on the shared router (see klientura/api_urls.py)."""

from core.api.router import router

from . import views

router.register("knowledge-categories", views.ArticleCategoryViewSet)
router.register("knowledge-articles", views.ArticleViewSet)
router.register("knowledge-attachments", views.ArticleAttachmentViewSet)
