"""SQLite full-text (FTS5 trigram) mirror of ``Counterparty.search_text`` for fast quick search.

LIKE '%…%' cannot use an index; the trigram table answers substring matches from an index.
Django rebuilds a SQLite table for many schema changes, which drops its triggers: ``ensure``
runs after every migrate and recreates what is missing (then rebuilds the mirror).
"""

from contextlib import contextmanager

from django.db.models.signals import post_migrate

TABLE = "clients_counterparty_fts"
OBJECTS = [TABLE, f"{TABLE}_ai", f"{TABLE}_ad", f"{TABLE}_au"]
CREATE_TABLE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
    "search_text, content='clients_counterparty', content_rowid='id', tokenize='trigram')"
)
TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_ai AFTER INSERT ON clients_counterparty BEGIN
  INSERT INTO {TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_ad AFTER DELETE ON clients_counterparty BEGIN
  INSERT INTO {TABLE}({TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_au AFTER UPDATE OF search_text ON clients_counterparty BEGIN
  INSERT INTO {TABLE}({TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
  INSERT INTO {TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
END""",
]

_ready = {}


def present(connection):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM sqlite_master WHERE name IN ({', '.join(['%s'] * len(OBJECTS))})",
            OBJECTS,
        )
        return cursor.fetchone()[0]


def ready(connection):
    """The table and its three triggers exist (cached per database)."""
    name = connection.settings_dict["NAME"]
    if name not in _ready:
        _ready[name] = present(connection) == len(OBJECTS)
    return _ready[name]


def ensure(connection):
    """Create what is missing and rebuild the mirror; no-op where FTS5 is unavailable."""
    if connection.vendor != "sqlite" or present(connection) == len(OBJECTS):
        return
    with connection.cursor() as cursor:
        try:
            cursor.execute(CREATE_TABLE)
        except Exception:  # noqa: BLE001 - SQLite without FTS5/trigram: search falls back to LIKE
            return
        for statement in TRIGGERS:
            cursor.execute(statement)
        cursor.execute(f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')")
    _ready.pop(connection.settings_dict["NAME"], None)


def drop(connection):
    with connection.cursor() as cursor:
        for suffix in ("ai", "ad", "au"):
            cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_{suffix}")
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
    _ready.pop(connection.settings_dict["NAME"], None)


def _after_migrate(sender, using, **kwargs):
    from django.db import connections

    ensure(connections[using])


def connect():
    post_migrate.connect(_after_migrate, dispatch_uid="clients_fts_ensure")


@contextmanager
def bulk_insert(connection):
    """For many inserts in the caller's transaction: yields ``index(ids)`` to call once the rows
    are in. The per-row trigger makes FTS5 write a segment for every statement (30–60× slower
    than one ``INSERT … SELECT``), so it is dropped meanwhile; DDL is transactional in SQLite, a
    rollback brings it back."""
    if connection.vendor != "sqlite" or not ready(connection):
        yield lambda ids: None
        return
    if not connection.in_atomic_block:
        raise RuntimeError("fts.bulk_insert needs a transaction")

    def index(ids):
        with connection.cursor() as cursor:
            for start in range(0, len(ids), 900):
                part = list(ids[start:start + 900])
                cursor.execute(f"INSERT INTO {TABLE}(rowid, search_text) SELECT id, search_text "  # noqa: S608
                               f"FROM clients_counterparty WHERE id IN ({', '.join(['%s'] * len(part))})", part)

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {TABLE}_ai")
    try:
        yield index
    finally:
        if not connection.needs_rollback:  # else the rollback restores it
            with connection.cursor() as cursor:
                cursor.execute(TRIGGERS[0])
