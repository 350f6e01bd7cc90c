from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Interactions and tasks")

    def ready(self):
        from core.registry import register_trash

        from . import dashboard, demo, models, ui
        from .services import calendar

        calendar.register()
        demo.register()
        ui.register()
        dashboard.register()

        register_trash(models.Interaction, models.Task, models.Reminder, models.InteractionType)
