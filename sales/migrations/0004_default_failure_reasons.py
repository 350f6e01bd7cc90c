"""A few order failure reasons (administrators may change them)."""

from django.db import migrations

from sales.defaults import create_order_failure_reasons


def create(apps, schema_editor):
    create_order_failure_reasons(apps.get_model("sales", "OrderFailureReason"))


class Migration(migrations.Migration):
    dependencies = [("sales", "0003_orders_documents")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
