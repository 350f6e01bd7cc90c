"""StageChange.furthest_before, filled for existing moves (sales.services.aggregates)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Exists, OuterRef, Q, Subquery


def fill(apps, schema_editor):
    """The furthest non-lost stage of the move's pipeline among the deal's earlier moves (a copy of
    sales.services.aggregates.furthest_before_subquery as of this migration)."""
    Stage, StageChange = apps.get_model("sales", "Stage"), apps.get_model("sales", "StageChange")
    earlier = StageChange.objects.filter(deal=OuterRef(OuterRef("deal_id")), to_stage=OuterRef("pk")).filter(
        Q(moved_at__lt=OuterRef(OuterRef("moved_at")))
        | Q(moved_at=OuterRef(OuterRef("moved_at")), pk__lt=OuterRef(OuterRef("pk"))))
    furthest = (Stage._base_manager.filter(pipeline__stages=OuterRef("to_stage_id")).exclude(kind="lost")
                .filter(Exists(earlier)).order_by("-order", "-pk").values("pk")[:1])
    StageChange.objects.update(furthest_before=Subquery(furthest))  # one set-based UPDATE


class Migration(migrations.Migration):

    dependencies = [
        ('sales', '0015_deal_furthest_stage'),
    ]

    operations = [
        migrations.AddField(
            model_name='stagechange',
            name='furthest_before',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='sales.stage', verbose_name='furthest stage before'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
