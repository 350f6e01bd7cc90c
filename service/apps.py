from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "service"
    verbose_name = _("Service and quality")

    def ready(self):
        from core.registry import register_trash

        # Complaints (issue 12, item 2): trash, UI, periodic overdue notices, reports, demo, bench.
        from . import complaint_bench, complaint_demo, complaint_reports, complaint_ui, models, tasks  # noqa: F401

        register_trash(models.ComplaintType, models.Department, models.Complaint, models.ComplaintTask)
        for part in (complaint_ui, complaint_reports, complaint_demo, complaint_bench):
            part.register()
