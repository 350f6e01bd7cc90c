"""``manage.py rebuild_sales_aggregates``: recompute the sales aggregates from scratch.

They are kept up to date as deals change (sales.services.aggregates); this is for repairs, e.g.
after rows were written around the application (raw SQL, a restored backup of one table).
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from sales.services import aggregates


class Command(BaseCommand):
    help = "Recompute the maintained sales aggregates (a deal's furthest stage, sale days) from the data."

    def handle(self, *args, **options):
        with transaction.atomic():
            counts = aggregates.rebuild()
        for name, rows in counts.items():
            self.stdout.write(f"{name}: {rows} rows recomputed")
