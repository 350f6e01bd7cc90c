"""PostgreSQL: ClientAnalysis and RiskFlag partitioned by run (analytics.services.partitions)."""

from django.db import migrations

TABLES = ["analytics_clientanalysis", "analytics_riskflag"]


def rebuild(partitioned):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        from analytics.services.partitions import rebuild as rebuild_table

        with schema_editor.connection.cursor() as cursor:
            for table in TABLES:
                rebuild_table(cursor, table, partitioned)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0008_risk_flags_indexed_by_run'),
    ]

    operations = [
        migrations.RunPython(rebuild(True), rebuild(False)),
    ]
