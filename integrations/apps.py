from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    """Integration with the outside world: imports, webhooks, telephony, exchange with accounting."""

    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self):
        from . import models  # noqa: F401  (each area registers its trash, UI and tasks below)
        from .exchange import ui as exchange_ui  # bank statements, exchange with 1C
        from .imports import register as register_imports  # menu entry, bench case, worker task
        from .mail import demo as mail_demo
        from .mail import tasks as mail_tasks
        from .mail import ui as mail_ui
        from .telephony import ui as telephony_ui
        from .webhooks import setup as webhooks_setup

        for part in (mail_ui, mail_tasks, mail_demo, webhooks_setup, telephony_ui, exchange_ui):
            part.register()
        register_imports()
