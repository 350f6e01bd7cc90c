from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = _("Client base")

    def ready(self):
        from core.attachments import register_attachments
        from core.registry import register_trash

        from . import bench, demo, fts, models, myday, signals, tasks, ui  # noqa: F401  tasks: the daily duplicate scan

        fts.connect()
        demo.register()
        bench.register()
        ui.register()
        myday.register()

        register_trash(models.Counterparty, models.ContactPerson, models.ContactInfo,
                       models.SuppliedItem, models.CounterpartyGroup, models.RelationshipType,
                       models.Region, models.Industry)
        register_attachments(models.Counterparty, tab=True)  # files on the client card (core.attachments)
