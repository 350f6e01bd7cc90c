"""Migrations that start keeping a many-to-many set in the history (core.models.History) write
today's set into each object's latest history record: otherwise its next change would show every
existing member as just added."""

from django.db import migrations
from django.db.models import OuterRef, Subquery

BATCH = 2000


def backfill_m2m(app_label, model_name, field_name, history_model_name):
    """A RunPython operation: the through rows of ``model_name.field_name`` copied into
    ``history_model_name`` against each object's latest historical record."""

    def run(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        through = model._meta.get_field(field_name).remote_field.through
        historical = apps.get_model(app_label, f"Historical{model_name}")
        snapshot = apps.get_model(app_label, history_model_name)
        source = next(f for f in through._meta.fields if f.is_relation and f.related_model == model)
        latest = historical.objects.filter(id=OuterRef(source.attname)) \
            .order_by("-history_date", "-history_id").values("history_id")[:1]
        names = [f.attname for f in through._meta.fields]
        rows = through.objects.annotate(record=Subquery(latest)).filter(record__isnull=False) \
            .values_list("record", *names)
        batch = []
        for record, *values in rows.iterator(chunk_size=BATCH):
            batch.append(snapshot(history_id=record, **dict(zip(names, values, strict=True))))
            if len(batch) >= BATCH:
                snapshot.objects.bulk_create(batch)
                batch = []
        snapshot.objects.bulk_create(batch)

    return migrations.RunPython(run, migrations.RunPython.noop, elidable=True)
