from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Interactions and tasks")

    def ready(self):
        from core.registry import register_trash

        from . import bench, dashboard, demo, models, myday, rollups, tasks, ui  # noqa: F401  tasks: the periodic tasks
        from .services import calendar
        from .views import reports  # noqa: F401 (registers the app's reports)

        calendar.register()
        demo.register()
        bench.register()
        ui.register()
        dashboard.register()
        myday.register()
        rollups.register()

        register_trash(models.Interaction, models.Task, models.Reminder, models.InteractionType)
