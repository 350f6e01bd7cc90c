from django.core.management.base import BaseCommand
from django.db import connection, transaction

from core import rollups


class Command(BaseCommand):
    help = "Create any missing rollup triggers and recompute every rollup from its source (core.rollups)."

    def handle(self, *args, **options):
        with transaction.atomic():
            rollups.ensure(connection)
            for table, groups in rollups.rebuild_all().items():
                self.stdout.write(f"{table}: {groups}")
