"""The default pipeline of seed 002 and a few lost reasons (administrators may change them)."""

from django.db import migrations

from sales.defaults import create_defaults


def create(apps, schema_editor):
    create_defaults(apps.get_model("sales", "Pipeline"), apps.get_model("sales", "Stage"),
                    apps.get_model("sales", "LostReason"))


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
