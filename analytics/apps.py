from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self):
        from core.registry import register_trash

        from . import clients_ui, models

        register_trash(models.ClassOverride, models.SalesPlan)
        clients_ui.register()  # the client list's columns and filters, the card's panel
