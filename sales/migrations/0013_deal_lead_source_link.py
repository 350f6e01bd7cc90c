"""The deal's lead source is the link to the reference list (0012 moved the text over)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("sales", "0012_lead_sources_from_text")]

    operations = [
        migrations.RemoveField(model_name="deal", name="lead_source"),
        migrations.RemoveField(model_name="historicaldeal", name="lead_source"),
        migrations.RenameField(model_name="deal", old_name="lead_source_link", new_name="lead_source"),
        migrations.RenameField(model_name="historicaldeal", old_name="lead_source_link", new_name="lead_source"),
    ]
