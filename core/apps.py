from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def analyze_sqlite(sender, using, plan=None, **kwargs):
    """Refresh SQLite's planner statistics after migrations ran.

    Without them SQLite may ignore a newly added index (PostgreSQL's autovacuum analyses by itself).
    """
    connection = connections[using]
    if connection.vendor == "sqlite" and plan:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        from . import attachments, lookups, navigation, rollups  # noqa: F401  registers JSON lookups
        from .models import Attachment, CustomProperty
        from .registry import register_trash

        navigation.register()
        register_trash(CustomProperty, Attachment)
        attachments.connect_signals()

        post_migrate.connect(analyze_sqlite, sender=self, dispatch_uid="core_sqlite_analyze")
        rollups.connect(self)  # the rollups' triggers, after every migrate
