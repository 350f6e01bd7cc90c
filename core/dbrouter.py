"""Reports may read from a PostgreSQL replica (``DATABASE_REPLICA_URL``); everything else, and
every write, uses the primary.

Only code inside ``replica_reads()`` reads from the replica — the report views wrap the computing
of a report in it — so a page never reads its own writes from a copy that may lag behind. Inside
a transaction on the primary the reads stay there too (they may depend on what it wrote).
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
_reading = ContextVar("replica_reads", default=False)


def configured():
    return REPLICA in connections.settings


@contextmanager
def replica_reads():
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def read_alias():
    """The database the reads here go to."""
    if _reading.get() and configured() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return REPLICA
    return DEFAULT_DB_ALIAS


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return read_alias()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA
