"""Indexes for quick search (``Counterparty.search_text``) at 100 000+ clients.

Quick search is ``search_text LIKE '%word%'``, which no B-tree index can serve: a rare word (a tax
id, a phone number) means reading every row. Measured with ``manage.py bench`` at 100 000 clients
on SQLite that is 200–300 ms per query.

* PostgreSQL: a pg_trgm GIN index; the planner uses it for LIKE '%…%' as it is.
* SQLite: an FTS5 table with the trigram tokenizer mirrors ``search_text`` (external content,
  kept in step by triggers), for ``clients.services.search_q`` to look words up in (see
  docs/benchmark.md). Without it (SQLite before 3.34, or built without FTS5) search uses LIKE.

Django rebuilds a SQLite table for many schema changes, which drops its triggers: ``clients.fts.ensure`` runs
after every migrate and recreates them.
"""

from django.db import migrations

from clients import fts


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")  # trusted extension (PG 13+)
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS cp_search_trgm ON clients_counterparty "
            "USING gin (search_text gin_trgm_ops)"
        )
    elif vendor == "sqlite":
        fts.ensure(schema_editor.connection)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS cp_search_trgm")
    elif vendor == "sqlite":
        fts.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("clients", "0002_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
