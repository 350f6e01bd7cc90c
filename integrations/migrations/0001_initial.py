# The app's first migration: empty, so that each area's migrations can start from it.
from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = []
