"""Grouped counts and sums of a table, kept by database triggers (the issue's "rollups").

A page that counts history (a dashboard's contacts per employee over 5 000 000 interactions)
reads a few hundred rollup rows instead. An app declares a ``Rollup``: its model (the table,
whose primary key is the group's keys), the source table, the key and sum expressions over a
source row and the condition for a row to count; it registers it in ``core.registry.rollups``.

The triggers add each written row's contribution and take off the old one, in the writing
statement's transaction, so ``QuerySet.update()``, bulk and raw writes keep the rollup right:

- PostgreSQL: statement-level triggers with transition tables: a bulk write is one grouped upsert.
- SQLite: row-level triggers (it has no other kind). Django rebuilds a SQLite table for many
  schema changes, which drops its triggers: ``ensure`` runs after every migrate, recreates what is
  missing and rebuilds the rollup. Bulk loads suspend them (``bulk``) and rebuild once.

Groups whose count falls to zero stay as zero rows until the next ``rebuild``; readers sum them.
Expressions are SQL with ``{r}`` for the row's alias, or ``{"postgresql": …, "sqlite": …}``.
"""

import zoneinfo
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection as default_connection
from django.db import models
from django.db.models.signals import post_migrate, pre_migrate

from . import registry

VENDORS = ("postgresql", "sqlite")


class KeptByDatabase(models.Model):
    """A table the database keeps from other rows (its triggers): a copy, so no trash, version or
    history (``derived``), and left out of backups — it fills again as the rows load."""

    derived = True
    kept_by_database = True

    class Meta:
        abstract = True


def key_to(model):
    """A rollup's key column naming a row of ``model``: no constraint (the triggers write it) and
    no index of its own (the composite primary key and the readers' indexes cover it)."""
    return models.ForeignKey(model, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
                             related_name="+")


@dataclass(frozen=True)
class Rollup:
    model: type  # primary key: the key columns
    source: str  # the source table
    keys: dict = field(default_factory=dict)  # rollup column -> expression over a source row
    sums: dict = field(default_factory=dict)  # rollup column -> expression summed; the first: a count ("1")
    where: str = "1 = 1"  # the rows that count
    # Tables the expressions read through a subquery (an order's currency for its sale days):
    # parent table -> (the source's column holding the parent's id, or a condition on the source
    # row {r} and the parent row {p} for a parent further off; the parent columns read).
    # Changing one of them in a parent row moves its source rows' contributions.
    parents: dict = field(default_factory=dict)

    @property
    def table(self):
        return self.model._meta.db_table

    @property
    def triggers(self):
        return [name for name, _table in self.trigger_tables()]

    def trigger_tables(self):
        """[(trigger name, the table it is on)]."""
        return _trigger_tables(self.table, self.source, self.parents)

    def tables(self):
        return {self.table, self.source, *self.parents}

    def columns(self):
        return ", ".join([*self.keys, *self.sums])

    def select(self, vendor, alias, sign=""):
        """Keys and (signed) sums of one source row."""
        exprs = [_sql(e, vendor, alias) for e in self.keys.values()]
        exprs += [f"{sign}({_sql(e, vendor, alias)})" for e in self.sums.values()]
        return ", ".join(exprs)

    def condition(self, vendor, alias):
        return _sql(self.where, vendor, alias)

    def add(self, vendor):
        """ON CONFLICT clause adding the new contribution to the group's row."""
        target = self.table if vendor == "postgresql" else None
        sets = ", ".join(f"{c} = {target + '.' if target else ''}{c} + excluded.{c}" for c in self.sums)
        return f"ON CONFLICT ({', '.join(self.keys)}) DO UPDATE SET {sets}"

    def fill(self, vendor):
        """Every group computed from the source (after the rollup is emptied)."""
        keys = ", ".join(str(i + 1) for i in range(len(self.keys)))
        sums = ", ".join(f"SUM({_sql(e, vendor, 's')})" for e in self.sums.values())
        key_exprs = ", ".join(_sql(e, vendor, "s") for e in self.keys.values())
        return (f"INSERT INTO {self.table} ({self.columns()}) SELECT {key_exprs}, {sums} "  # noqa: S608
                f"FROM {self.source} s WHERE {self.condition(vendor, 's')} GROUP BY {keys}")

    # --- PostgreSQL ---------------------------------------------------------------------------

    def pg_delta(self, parts):
        """The summed contributions of ``parts`` [(transition table, sign)] per group, added to the
        groups there are; groups not there yet are inserted when their count grows (a row taken
        off a group that is not there — the rollup was emptied — changes nothing)."""
        rows = " UNION ALL ".join(
            f"SELECT {self.select('postgresql', 't', sign)} FROM {name} t "  # noqa: S608
            f"WHERE {self.condition('postgresql', 't')}" for name, sign in parts)
        keys = [f"k{i}" for i in range(len(self.keys))]
        sums = [f"s{i}" for i in range(len(self.sums))]
        changed = " OR ".join(f"SUM({s}) <> 0" for s in sums)
        match = " AND ".join(f"g.{c} = d.{k}" for c, k in zip(self.keys, keys, strict=True))
        found = " AND ".join(f"u.{c} = d.{k}" for c, k in zip(self.keys, keys, strict=True))
        sets = ", ".join(f"{c} = g.{c} + d.{s}" for c, s in zip(self.sums, sums, strict=True))
        return f"""WITH d AS (SELECT {', '.join(keys)}, {', '.join(f'SUM({s}) AS {s}' for s in sums)}
                              FROM ({rows}) AS x({', '.join(keys + sums)}) GROUP BY {', '.join(keys)}
                              HAVING {changed}),
                    u AS (UPDATE {self.table} g SET {sets} FROM d WHERE {match}
                          RETURNING {', '.join(f'g.{c}' for c in self.keys)})
               INSERT INTO {self.table} ({self.columns()}) SELECT {', '.join(keys + sums)} FROM d
               WHERE d.s0 > 0 AND NOT EXISTS (SELECT 1 FROM u WHERE {found}) {self.add('postgresql')}"""  # noqa: S608

    def parent_match(self, parent, alias, row):
        """The condition for source row ``alias`` to belong to the parent ``row`` (OLD / NEW)."""
        column = self.parents[parent][0]
        return f"{alias}.{column} = {row}.id" if column.isidentifier() else column.format(r=alias, p=row)

    def parent_changed(self, parent):
        columns = self.parents[parent][1]
        return " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)

    def pg_parents(self):
        """Row triggers on each parent: before a change its source rows' contributions are taken
        off (the subqueries still read the old values), after it they are added back."""
        statements = []
        for n, (parent, (_column, columns)) in enumerate(self.parents.items()):
            for when, row, sign in (("b", "OLD", "-"), ("a", "NEW", "")):
                function = f"{self.table}_p{n}{when}"
                rows = f"(SELECT * FROM {self.source} s WHERE {self.parent_match(parent, 's', row)})"  # noqa: S608
                # A BEFORE trigger returns the row to write: NEW (OLD would undo the change).
                statements += [
                    f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN {self.pg_delta([(rows, sign)])}; RETURN NEW; END $$""",
                    f"""CREATE OR REPLACE TRIGGER {function} {'BEFORE' if when == 'b' else 'AFTER'}
                        UPDATE OF {', '.join(columns)} ON {parent} FOR EACH ROW
                        WHEN ({self.parent_changed(parent)}) EXECUTE FUNCTION {function}()"""]
        return statements

    def pg_source(self):
        """The body of the source's trigger function: every key, sum and condition."""
        return f"""
        BEGIN
            IF TG_OP = 'INSERT' THEN {self.pg_delta([("new_rows", "")])};
            ELSIF TG_OP = 'DELETE' THEN {self.pg_delta([("old_rows", "-")])};
            ELSE {self.pg_delta([("new_rows", ""), ("old_rows", "-")])};
            END IF;
            RETURN NULL;
        END """

    def postgresql(self):
        function = f"{self.table}_keep"
        i, u, d = self.triggers[:3]
        return [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $${self.pg_source()}$$",
            f"""CREATE OR REPLACE TRIGGER {i} AFTER INSERT ON {self.source}
                REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
            f"""CREATE OR REPLACE TRIGGER {u} AFTER UPDATE ON {self.source}
                REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
            f"""CREATE OR REPLACE TRIGGER {d} AFTER DELETE ON {self.source}
                REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
            *self.pg_parents(),
        ]

    # --- SQLite -------------------------------------------------------------------------------

    def sqlite_delta(self, alias, sign):
        if sign:  # taking a row off: its group exists, unless the rollup was emptied (a flush)
            sets = ", ".join(f"{c} = {c} - ({_sql(e, 'sqlite', alias)})" for c, e in self.sums.items())
            match = " AND ".join(f"{c} = {_sql(e, 'sqlite', alias)}" for c, e in self.keys.items())
            return f"UPDATE {self.table} SET {sets} WHERE {match} AND {self.condition('sqlite', alias)};"  # noqa: S608
        # INSERT … SELECT … WHERE: the WHERE also keeps SQLite from reading ON as a join's.
        return (f"INSERT INTO {self.table} ({self.columns()}) SELECT {self.select('sqlite', alias)} "
                f"WHERE {self.condition('sqlite', alias)} {self.add('sqlite')};")

    def sqlite_grouped(self, parent, row, sign):
        """A parent row's source rows, grouped, added to (or taken off) the groups: groups taken
        off must be there (see ``sqlite_delta``), new ones are inserted when they count rows."""
        keys = [f"k{i}" for i in range(len(self.keys))]
        sums = [f"s{i}" for i in range(len(self.sums))]
        exprs = [f"{_sql(e, 'sqlite', 's')} AS {k}" for e, k in zip(self.keys.values(), keys, strict=True)]
        exprs += [f"{sign}SUM({_sql(e, 'sqlite', 's')}) AS {k}" for e, k in zip(self.sums.values(), sums, strict=True)]
        grouped = (f"SELECT {', '.join(exprs)} FROM {self.source} s "  # noqa: S608
                   f"WHERE {self.parent_match(parent, 's', row)} AND {self.condition('sqlite', 's')} "
                   f"GROUP BY {', '.join(keys)}")
        match = " AND ".join(f"g.{c} = d.{k}" for c, k in zip(self.keys, keys, strict=True))
        keep = f"EXISTS (SELECT 1 FROM {self.table} g WHERE {match})" if sign else "d.s0 > 0"  # noqa: S608
        return (f"INSERT INTO {self.table} ({self.columns()}) SELECT {', '.join(keys + sums)} "  # noqa: S608
                f"FROM ({grouped}) d WHERE {keep} {self.add('sqlite')};")

    def sqlite_parents(self):
        statements = []
        for n, (parent, (_column, columns)) in enumerate(self.parents.items()):
            for when, row, sign in (("b", "OLD", "-"), ("a", "NEW", "")):
                statements.append(
                    f"""CREATE TRIGGER IF NOT EXISTS {self.table}_p{n}{when} {'BEFORE' if when == 'b' else 'AFTER'}
                        UPDATE OF {', '.join(columns)} ON {parent} FOR EACH ROW WHEN {self.parent_changed(parent)}
                        BEGIN {self.sqlite_grouped(parent, row, sign)} END""")
        return statements

    def sqlite(self):
        i, u, d = self.triggers[:3]
        exprs = [*self.keys.values(), *self.sums.values(), self.where]
        changed = " OR ".join(f"({_sql(e, 'sqlite', 'OLD')}) IS NOT ({_sql(e, 'sqlite', 'NEW')})" for e in exprs)
        return [
            f"""CREATE TRIGGER IF NOT EXISTS {i} AFTER INSERT ON {self.source}
                BEGIN {self.sqlite_delta("NEW", "")} END""",
            f"""CREATE TRIGGER IF NOT EXISTS {u} AFTER UPDATE ON {self.source} WHEN {changed}
                BEGIN {self.sqlite_delta("OLD", "-")} {self.sqlite_delta("NEW", "")} END""",
            f"""CREATE TRIGGER IF NOT EXISTS {d} AFTER DELETE ON {self.source}
                BEGIN {self.sqlite_delta("OLD", "-")} END""",
            *self.sqlite_parents(),
        ]

    def statements(self, vendor):
        return self.postgresql() if vendor == "postgresql" else self.sqlite()


def local_date(column):
    """The local date (``settings.TIME_ZONE``) of a source row's timestamp. SQLite has no time zones:
    Django's own function for ``__date`` lookups converts there (it is on every Django connection).
    The zone is part of the trigger's body: after a change, ``migrate`` rebuilds the rollups."""
    zone = str(zoneinfo.ZoneInfo(settings.TIME_ZONE))  # a known zone name: safe to quote
    return {"postgresql": f"(({{r}}.{column} AT TIME ZONE '{zone}')::date)",
            "sqlite": f"django_datetime_cast_date({{r}}.{column}, '{zone}', 'UTC')"}


def _trigger_tables(table, source, parents):
    """A rollup's triggers, named after its table: insert, update, delete on the source, then
    before and after a change of each parent."""
    own = [(f"{table}_{op}", source) for op in "iud"]
    return own + [(f"{table}_p{n}{when}", parent) for n, parent in enumerate(parents) for when in "ba"]


def _sql(expr, vendor, alias):
    return (expr[vendor] if isinstance(expr, dict) else expr).format(r=alias)


def register(rollup):
    return registry.rollups.register(rollup.table, rollup)


def present(rollup, connection):
    """How many of the rollup's three triggers exist."""
    names = rollup.triggers
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgname = ANY(%s)", [names])
        else:
            marks = ", ".join(["%s"] * len(names))
            cursor.execute(f"SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})",  # noqa: S608
                           names)
        return cursor.fetchone()[0]


def changed(rollup, connection):
    """Whether the rollup's triggers were made from another definition (a key expression changed,
    or the time zone a local date is read in): its rows are grouped otherwise. The insert trigger
    (SQLite) or the trigger function (PostgreSQL) holds every key, sum and condition."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [f"{rollup.table}_keep"])
            row = cursor.fetchone()
            return row is not None and row[0] != rollup.pg_source()
        name = rollup.triggers[0]
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [name])
        row = cursor.fetchone()
    # SQLite keeps the statement as written after the trigger's name ("IF NOT EXISTS" is dropped).
    return row is not None and row[0].split(name, 1)[1] != rollup.sqlite()[0].split(name, 1)[1]


def ensure(connection):
    """(Re)create every rollup's triggers, so that their bodies follow the code; a rollup whose
    triggers were missing, or made from another definition, is rebuilt (rows written meanwhile
    were missed, or grouped otherwise)."""
    from django.db import transaction

    if connection.vendor not in VENDORS:
        return
    tables = set(connection.introspection.table_names())
    for rollup in registry.rollups:
        if not rollup.tables() <= tables:
            continue  # migrated back to before the rollup
        missing = present(rollup, connection) < len(rollup.triggers) or changed(rollup, connection)
        with transaction.atomic(using=connection.alias):
            if connection.vendor == "sqlite":
                drop(rollup, connection)  # no CREATE OR REPLACE there
            with connection.cursor() as cursor:
                for statement in rollup.statements(connection.vendor):
                    cursor.execute(statement)
            if missing:
                rebuild(rollup, connection)


def drop(rollup, connection):
    with connection.cursor() as cursor:
        for name, table in rollup.trigger_tables():
            on = f" ON {table}" if connection.vendor == "postgresql" else ""
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}{on}")


def rebuild(rollup, connection=None):
    """Recompute the whole rollup from its source; returns the number of groups."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {rollup.table}")  # noqa: S608
        cursor.execute(rollup.fill(connection.vendor))
        return cursor.rowcount


def rebuild_all(connection=None):
    return {rollup.table: rebuild(rollup, connection) for rollup in registry.rollups}


@contextmanager
def bulk(*rollups, connection=None):
    """Many writes to the rollups' sources in the caller's transaction. SQLite's row triggers
    would upsert once per row: they are dropped meanwhile and the rollups rebuilt at the end
    (DDL is transactional there: a rollback brings the triggers back). PostgreSQL's statement
    triggers already work set-based: nothing to do there."""
    connection = connection or default_connection
    rollups = [r for r in rollups if connection.vendor == "sqlite" and present(r, connection) == len(r.triggers)]
    if not rollups:
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("rollups.bulk needs a transaction")
    for rollup in rollups:
        drop(rollup, connection)
    try:
        yield
    finally:
        if not connection.needs_rollback:
            with connection.cursor() as cursor:
                for rollup in rollups:
                    for statement in rollup.sqlite():
                        cursor.execute(statement)
            for rollup in rollups:
                rebuild(rollup, connection)


def suspended(steps, *rollups, connection=None):
    """``steps`` (a bench's batches, each its own transaction) with the rollups' SQLite triggers
    suspended around them all: one transaction there, one rebuild at the end. PostgreSQL's
    statement triggers cost little, and its batches still commit one by one."""
    connection = connection or default_connection
    if connection.vendor != "sqlite":
        yield from steps
        return
    from django.db import transaction

    with transaction.atomic(using=connection.alias), bulk(*rollups, connection=connection):
        yield from steps


def dropper(table, source, parents=()):
    """A migration's reverse step for the migration creating a rollup's table: its triggers
    (made by ``ensure`` after migrate, named after the table) go first."""

    def drop_triggers(apps, schema_editor):
        pg = schema_editor.connection.vendor == "postgresql"
        for name, on in _trigger_tables(table, source, parents):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}{f' ON {on}' if pg else ''}")
            if pg and on != source:  # each parent trigger has its own function
                schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        if pg:
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_keep()")

    return drop_triggers


def drop_all(connection):
    """Every rollup's triggers off (``ensure`` makes them again and rebuilds the rollups). SQLite
    changes a table by making a new one and renaming it, and the rename fails while a trigger on
    another table names the old one (a parent's triggers name the source; the source's name the
    parent): schema changes there run without them."""
    tables = set(connection.introspection.table_names())
    for rollup in registry.rollups:
        if rollup.tables() <= tables:
            drop(rollup, connection)


def _before_migrate(sender, using, **kwargs):
    from django.db import connections

    if connections[using].vendor == "sqlite":
        drop_all(connections[using])


def _after_migrate(sender, using, **kwargs):
    from django.db import connections

    ensure(connections[using])


def connect(sender):
    pre_migrate.connect(_before_migrate, sender=sender, dispatch_uid="core_rollups_drop")
    post_migrate.connect(_after_migrate, sender=sender, dispatch_uid="core_rollups_ensure")
