"""Deals with product lines get the lines' sum as their amount (it is kept so from now on)."""

from decimal import Decimal

from django.db import migrations
from django.db.models import DecimalField, F, Sum

CENT = Decimal("0.01")


def recompute(apps, schema_editor):
    Deal = apps.get_model("sales", "Deal")
    DealLine = apps.get_model("sales", "DealLine")
    totals = (DealLine.objects.filter(deleted_at__isnull=True).values("deal_id")
              .annotate(total=Sum(F("quantity") * F("price"),
                                  output_field=DecimalField(max_digits=32, decimal_places=5))))
    for row in totals.iterator():
        Deal.objects.filter(pk=row["deal_id"]).update(amount=Decimal(row["total"]).quantize(CENT))


class Migration(migrations.Migration):

    dependencies = [
        ("sales", "0009_builtin_codes"),
    ]

    operations = [
        migrations.RunPython(recompute, migrations.RunPython.noop),
    ]
