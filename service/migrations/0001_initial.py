# The service app's first migration: its models arrive in the next ones.
from django.db import migrations


class Migration(migrations.Migration):
    initial = True

    dependencies = [("sales", "0014_product_catalogue")]

    operations = []
