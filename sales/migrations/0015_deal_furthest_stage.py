"""Deal.furthest_stage, filled for existing deals from their stage history (sales.services.aggregates)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Exists, OuterRef, Q, Subquery


def fill(apps, schema_editor):
    """The furthest non-lost stage of the deal's pipeline: now or in its history, highest order first
    (a copy of sales.services.aggregates.furthest_stage_subquery as of this migration)."""
    Deal, Stage, StageChange = (apps.get_model("sales", name) for name in ("Deal", "Stage", "StageChange"))
    in_history = StageChange.objects.filter(deal=OuterRef(OuterRef("pk")), to_stage=OuterRef("pk"))
    furthest = (Stage._base_manager.filter(pipeline__stages=OuterRef("stage_id")).exclude(kind="lost")
                .filter(Q(pk=OuterRef("stage_id")) | Exists(in_history)).order_by("-order", "-pk").values("pk")[:1])
    # One set-based UPDATE with a correlated subquery per deal (SQLite and PostgreSQL alike).
    Deal._base_manager.update(furthest_stage=Subquery(furthest))


class Migration(migrations.Migration):

    dependencies = [
        ('sales', '0014_product_catalogue'),
    ]

    operations = [
        migrations.AddField(
            model_name='deal',
            name='furthest_stage',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='sales.stage', verbose_name='furthest stage reached'),
        ),
        migrations.AddField(
            model_name='historicaldeal',
            name='furthest_stage',
            field=models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='sales.stage', verbose_name='furthest stage reached'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
