from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self):
        from core.registry import register_trash

        from . import models

        register_trash(models.ClassOverride, models.SalesPlan)
        from . import plans_ui  # sales plans, manager KPI reports, their tile and menu entry
        plans_ui.register()
