from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "service"
    verbose_name = _("Service and quality")

    def ready(self):
        from . import models  # noqa: F401

        self.ready_complaints()
        self.ready_equipment()
        self.ready_surveys()

    def ready_complaints(self):
        from core.attachments import register_attachments
        from core.registry import register_trash

        # Complaints: trash, UI, periodic overdue notices, reports, demo, bench.
        from . import complaint_bench, complaint_demo, complaint_reports, complaint_ui, models, tasks  # noqa: F401

        register_trash(models.ComplaintType, models.Department, models.Complaint, models.ComplaintTask)
        register_attachments(models.Complaint)  # files on the complaint card (core.attachments)
        for part in (complaint_ui, complaint_reports, complaint_demo, complaint_bench):
            part.register()

    def ready_equipment(self):
        from core.registry import register_trash

        # Equipment and service: trash, menu, card tab and panel, calendar, tile, periodic
        # reminders (equipment_tasks registers them), reports (equipment_reports), demo data
        from . import equipment_demo, equipment_reports, equipment_tasks, equipment_ui, models  # noqa: F401

        register_trash(models.ServiceContract, models.Equipment, models.ServiceVisit)
        for part in (equipment_ui, equipment_demo):
            part.register()

    def ready_surveys(self):
        from core.registry import register_trash

        from . import (
            survey_demo,
            survey_reports,  # noqa: F401  (registers the reports)
            survey_tasks,  # noqa: F401  (registers the periodic task)
            survey_ui,
        )
        from .models import Question, Survey, SurveyInvitation, SurveyRule

        register_trash(Survey, Question, SurveyRule, SurveyInvitation)
        for part in (survey_demo, survey_ui):
            part.register()
