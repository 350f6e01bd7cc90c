from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    """Integration with the outside world: imports, webhooks, telephony, exchange with accounting."""

    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self):
        from . import models  # noqa: F401  (each area registers its trash, UI and tasks below)
        from .imports import register as register_imports  # menu entry, bench case, worker task

        register_imports()
