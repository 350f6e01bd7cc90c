# The built-in complaint types and departments (service.models.complaints).
from django.db import migrations

from service.models.complaints import COMPLAINT_TYPE_NAMES, DEPARTMENT_NAMES


def create(apps, schema_editor):
    for model_name, names in (("ComplaintType", COMPLAINT_TYPE_NAMES), ("Department", DEPARTMENT_NAMES)):
        model = apps.get_model("service", model_name)
        if model._base_manager.exists():
            continue
        for order, (code, entry) in enumerate(names.items(), start=1):
            model._base_manager.create(code=code, name=entry.msgid, order=order * 10)


class Migration(migrations.Migration):
    dependencies = [("service", "0002_complaints")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
