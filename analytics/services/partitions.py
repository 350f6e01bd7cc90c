"""PostgreSQL: the rows of each analysis run (ClientAnalysis, RiskFlag) in a partition of their own.

With 30 runs kept a table holds 3 000 000 rows and more: writing a run's 100 000 rows into its
indexes, analysing the table and deleting an old run's rows all grew with it. As partitions
(``<table>_r<run id>``, by LIST on ``run_id``) a run is written into a plain table of its own,
whose indexes are then built in bulk when it is attached, only it is analysed, and an old run
goes with a DROP TABLE. Queries name the parent table and the run, so PostgreSQL reads just that
partition. Rows written through the ORM (tests, a run computed before this migration) land in
the ``<table>_default`` partition. SQLite has no partitions: there the tables stay plain.
"""

from django.db import connection

from ..models import ClientAnalysis, RiskFlag

PARTITIONED = (ClientAnalysis, RiskFlag)


def enabled():
    return connection.vendor == "postgresql"


def quote(name):
    return connection.ops.quote_name(name)


def partition_name(model, run_id):
    return f"{model._meta.db_table}_r{int(run_id)}"


def create(model, run_id):
    """A plain table shaped like ``model``'s, without indexes: the run's rows go here first.

    It has no identity of its own: the INSERT takes ids from the parent's sequence (``next_id``)."""
    name = partition_name(model, run_id)
    _execute(f"DROP TABLE IF EXISTS {quote(name)}")
    _execute(f"CREATE TABLE {quote(name)} (LIKE {quote(model._meta.db_table)} INCLUDING DEFAULTS "
             f"INCLUDING CONSTRAINTS)")
    return quote(name)


def next_id(model):
    """The expression of the parent table's next id. The sequence is looked up here, once: inside
    the statement ``pg_get_serial_sequence`` would be called per row (130 000 risk flags: 0.5 s of
    catalog lookups)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')::regclass::oid", [model._meta.db_table])
        (oid,) = cursor.fetchone()
    if oid is None:
        raise RuntimeError(f"{model._meta.db_table}.id has no sequence")
    return f"nextval({int(oid)}::regclass)"


def attach(model, run_id):
    """Make the filled table the run's partition: PostgreSQL builds its indexes in one pass each."""
    _execute(f"ALTER TABLE {quote(model._meta.db_table)} ATTACH PARTITION "
             f"{quote(partition_name(model, run_id))} FOR VALUES IN ({int(run_id)})")


def drop(run_ids):
    """Drop the partitions of these runs (their rows in the default partition stay for a DELETE)."""
    for run_id in run_ids:
        for model in PARTITIONED:
            _execute(f"DROP TABLE IF EXISTS {quote(partition_name(model, run_id))}")


def _execute(query):
    with connection.cursor() as cursor:
        cursor.execute(query)


# --- the migration (analytics 0009): plain table ⇄ partitioned, keeping rows, names and indexes --

def rebuild(cursor, table, partitioned):
    """Recreate ``table`` partitioned by run (one partition per run found, plus a default one) or
    plain again; its rows, columns, check constraints and Django's index and constraint names stay."""
    cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                   "WHERE conrelid = %s::regclass AND contype IN ('p', 'u')", [table])
    constraints = cursor.fetchall()
    cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND schemaname = "
                   "current_schema()", [table])
    indexes = [(name, sql) for name, sql in cursor.fetchall() if name not in {c for c, _ in constraints}]
    cursor.execute(f"SELECT DISTINCT run_id FROM {quote(table)} ORDER BY run_id")
    runs = [row[0] for row in cursor.fetchall()]
    new = quote(f"{table}_new")
    cursor.execute(f"CREATE TABLE {new} (LIKE {quote(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
                   f"INCLUDING IDENTITY){' PARTITION BY LIST (run_id)' if partitioned else ''}")
    if partitioned:
        cursor.execute(f"CREATE TABLE {quote(table + '_default')} PARTITION OF {new} DEFAULT")
        for run_id in runs:
            cursor.execute(f"CREATE TABLE {quote(f'{table}_r{int(run_id)}')} PARTITION OF {new} "
                           f"FOR VALUES IN ({int(run_id)})")
    cursor.execute(f"INSERT INTO {new} SELECT * FROM {quote(table)}")
    cursor.execute(f"DROP TABLE {quote(table)}")  # a partitioned one takes its partitions along
    cursor.execute(f"ALTER TABLE {new} RENAME TO {quote(table)}")
    cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE(MAX(id), 0) + 1, false) "
                   f"FROM {quote(table)}", [table])
    for name, definition in constraints:
        if definition.startswith("PRIMARY KEY"):
            # A partitioned table's primary key must hold the partition key.
            definition = "PRIMARY KEY (id, run_id)" if partitioned else "PRIMARY KEY (id)"
        cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
    for _name, sql in indexes:
        cursor.execute(sql)
