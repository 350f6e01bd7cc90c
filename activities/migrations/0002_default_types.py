from django.db import migrations

TYPES = [
    ("incoming_call", "Входящий звонок"), ("outgoing_call", "Исходящий звонок"),
    ("meeting", "Встреча"), ("email", "Электронное письмо"), ("sms", "SMS"),
    ("letter", "Письмо"), ("task", "Задача"), ("other", "Прочее"),
]


def forwards(apps, schema_editor):
    InteractionType = apps.get_model("activities", "InteractionType")
    for order, (code, name) in enumerate(TYPES):
        InteractionType.objects.get_or_create(code=code, defaults={"name": name, "order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
