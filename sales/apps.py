from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "sales"
    verbose_name = _("Sales")

    def ready(self):
        from core.attachments import register_attachments
        from core.registry import register_trash

        from . import bench, calendar, demo, models, myday, rollups, sale_days, tasks, ui  # noqa: F401  tasks: periodic tasks
        from .views import dashboard, reports  # noqa: F401 (reports register themselves)

        sale_days.connect()  # its triggers, after every migrate
        rollups.register()
        calendar.register()
        demo.register()
        bench.register()
        ui.register()
        dashboard.register()
        myday.register()

        from activities.forms import BasisSource, basis_sources

        for model in (models.Deal, models.Order):  # what an interaction can be based on
            basis_sources.register(model._meta.label_lower, BasisSource(model))

        register_trash(models.Deal, models.DealLine, models.Order, models.OrderLine, models.Shipment,
                       models.Payment, models.Document, models.Pipeline, models.Stage, models.StageRule,
                       models.LostReason, models.OrderFailureReason, models.LeadSource, models.DocumentTemplate,
                       models.Product, models.ProductCategory)
        # Files on the deal, order and product cards (core.attachments); a product's pictures come from 1C.
        for model in (models.Deal, models.Order, models.Product):
            register_attachments(model)
