from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self):
        from core.registry import register_trash

        from . import bench, demo, models, ui

        register_trash(models.Article, models.ArticleAttachment, models.ArticleCategory)
        for part in (demo, bench, ui):
            part.register()
