from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self):
        from core.registry import register_trash

        from . import bench, clients_ui, demo, models, tasks  # noqa: F401  tasks registers the nightly run
        from .views import reports  # noqa: F401  (registers the analytics reports)

        register_trash(models.ClassOverride, models.SalesPlan)
        for part in (demo, bench, clients_ui):  # demo, bench; the client list's columns, filters, card panel
            part.register()
        from . import (
            plans_ui,  # sales plans, manager KPI reports, their tile and menu entry
            ui,  # noqa: F401  navigation and the at-risk tile (runs, settings, risks)
        )
        plans_ui.register()
