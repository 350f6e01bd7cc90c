"""The database triggers that keep ``SaleDay`` (an order's sales per day) equal to its shipments.

Every write of a shipment, and every change of a line's price, cost, trash mark or order,
recomputes the sale days of the orders it touches, in the same statement's transaction: the
analysis reads ~half a million order-days instead of joining a million shipment lines.

- PostgreSQL: statement-level triggers with transition tables, so a bulk insert, update or delete
  recomputes all its orders in one set-based pass.
- SQLite: row-level triggers (it has no other kind). Django rebuilds a SQLite table for many
  schema changes, which drops its triggers: ``ensure`` runs after every migrate, recreates what is
  missing and then rebuilds the table. Bulk loads suspend them (``bulk``) and recompute once.

``rebuild()`` (also in ``manage.py rebuild_sales_aggregates``) recomputes everything.
"""

from contextlib import contextmanager

from django.db import connection as default_connection
from django.db.models.signals import post_migrate

TABLE = "sales_saleday"
TRIGGERS = ["sales_saleday_si", "sales_saleday_su", "sales_saleday_sd", "sales_saleday_lu"]
PG_FUNCTIONS = ["sales_saleday_refresh", "sales_saleday_shipments", "sales_saleday_lines"]


def fill(where, sqlite):
    """The sale days of the orders selected by ``where`` (a condition on ``s.order_id``)."""
    money = ("SUM(ROUND(s.quantity * l.{0} * 100)) / 100.0" if sqlite
             else "SUM(ROUND(s.quantity * l.{0}, 2))")
    return f"""
        INSERT INTO {TABLE} (order_id, date, amount, cost, lines, first_of_order)
        SELECT s.order_id, s.date, {money.format("price")}, {money.format("cost")}, COUNT(*),
               s.date = MIN(s.date) OVER (PARTITION BY s.order_id)
        FROM sales_shipment s JOIN sales_orderline l ON l.id = s.line_id
        WHERE {where} AND s.kind = 'actual' AND s.deleted_at IS NULL AND l.deleted_at IS NULL
        GROUP BY s.order_id, s.date"""


def _sqlite_refresh(orders):
    return f"DELETE FROM {TABLE} WHERE order_id IN ({orders}); {fill(f's.order_id IN ({orders})', True)};"


# A shipment's change matters when it is (or was) actual and one of these differs.
SHIPMENT_CHANGED = ("(OLD.kind = 'actual' OR NEW.kind = 'actual') AND (OLD.kind IS NOT NEW.kind "
                    "OR OLD.date IS NOT NEW.date OR OLD.quantity IS NOT NEW.quantity "
                    "OR OLD.order_id IS NOT NEW.order_id OR OLD.line_id IS NOT NEW.line_id "
                    "OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL))")
LINE_CHANGED = ("OLD.price IS NOT NEW.price OR OLD.cost IS NOT NEW.cost OR OLD.order_id IS NOT NEW.order_id "
                "OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)")

SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS sales_saleday_si AFTER INSERT ON sales_shipment
        WHEN NEW.kind = 'actual' BEGIN {_sqlite_refresh("NEW.order_id")} END""",
    f"""CREATE TRIGGER IF NOT EXISTS sales_saleday_su AFTER UPDATE ON sales_shipment
        WHEN {SHIPMENT_CHANGED} BEGIN {_sqlite_refresh("OLD.order_id, NEW.order_id")} END""",
    f"""CREATE TRIGGER IF NOT EXISTS sales_saleday_sd AFTER DELETE ON sales_shipment
        WHEN OLD.kind = 'actual' BEGIN {_sqlite_refresh("OLD.order_id")} END""",
    f"""CREATE TRIGGER IF NOT EXISTS sales_saleday_lu AFTER UPDATE ON sales_orderline
        WHEN {LINE_CHANGED} BEGIN {_sqlite_refresh("OLD.order_id, NEW.order_id")} END""",
]


def _pg_changed(condition):
    """Rows of the transition tables (``o`` old, ``n`` new) whose change matters, as order ids."""
    condition = condition.replace("OLD.", "o.").replace("NEW.", "n.").replace(" IS NOT ", " IS DISTINCT FROM ")
    return (f"SELECT o.order_id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {condition} "
            f"UNION SELECT n.order_id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {condition}")


POSTGRESQL = [
    # The orders as an array: a statement touching none costs two empty statements.
    f"""CREATE OR REPLACE FUNCTION sales_saleday_refresh(orders BIGINT[]) RETURNS void LANGUAGE sql AS $$
        DELETE FROM {TABLE} WHERE order_id IN (SELECT unnest(orders));
        {fill("s.order_id IN (SELECT unnest(orders))", False)};
    $$""",
    f"""CREATE OR REPLACE FUNCTION sales_saleday_shipments() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM sales_saleday_refresh(ARRAY(SELECT DISTINCT order_id FROM new_rows WHERE kind = 'actual'));
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM sales_saleday_refresh(ARRAY(SELECT DISTINCT order_id FROM old_rows WHERE kind = 'actual'));
        ELSE
            PERFORM sales_saleday_refresh(ARRAY({_pg_changed(SHIPMENT_CHANGED)}));
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION sales_saleday_lines() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM sales_saleday_refresh(ARRAY({_pg_changed(LINE_CHANGED)}));
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE TRIGGER sales_saleday_si AFTER INSERT ON sales_shipment
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_saleday_shipments()""",
    """CREATE OR REPLACE TRIGGER sales_saleday_su AFTER UPDATE ON sales_shipment
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION sales_saleday_shipments()""",
    """CREATE OR REPLACE TRIGGER sales_saleday_sd AFTER DELETE ON sales_shipment
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_saleday_shipments()""",
    """CREATE OR REPLACE TRIGGER sales_saleday_lu AFTER UPDATE ON sales_orderline
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION sales_saleday_lines()""",
]


def present(connection):
    """How many of the four triggers exist."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgname = ANY(%s)",
                           [TRIGGERS])
        else:
            marks = ", ".join(["%s"] * len(TRIGGERS))
            cursor.execute(f"SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})",
                           TRIGGERS)
        return cursor.fetchone()[0]


def supported(connection):
    return connection.vendor in ("sqlite", "postgresql")


def ensure(connection):
    """Create the missing triggers, then rebuild the table (rows written meanwhile were missed)."""
    if (not supported(connection) or TABLE not in connection.introspection.table_names()
            or present(connection) == len(TRIGGERS)):
        return  # a migration back to before the table, or all there
    with connection.cursor() as cursor:
        for statement in POSTGRESQL if connection.vendor == "postgresql" else SQLITE:
            cursor.execute(statement)
    rebuild(connection)


def drop(connection):
    """Remove the triggers (tests of ``ensure``; the table then goes stale)."""
    with connection.cursor() as cursor:
        for name, table in zip(TRIGGERS, ["sales_shipment"] * 3 + ["sales_orderline"], strict=True):
            on = f" ON {table}" if connection.vendor == "postgresql" else ""
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}{on}")


def rebuild(connection=None):
    """Recompute every sale day; returns the number of rows."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608
        cursor.execute(fill("1 = 1", connection.vendor == "sqlite"))
        return cursor.rowcount


def refresh(orders, params=(), connection=None):
    """Recompute the sale days of the orders ``orders`` selects (a subquery of order ids)."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE order_id IN ({orders})", params)  # noqa: S608
        cursor.execute(fill(f"s.order_id IN ({orders})", connection.vendor == "sqlite"), params)


@contextmanager
def bulk(connection=None):
    """For many shipment writes in the caller's transaction: yields ``refresh(orders, params)``
    to call once they are done. SQLite's row triggers would recompute an order per shipment
    line, so they are dropped meanwhile (DDL is transactional there: a rollback brings them back).
    PostgreSQL's statement triggers already work set-based: the refresh is a no-op there."""
    connection = connection or default_connection
    if connection.vendor != "sqlite" or present(connection) != len(TRIGGERS):
        yield lambda orders, params=(): None
        return
    if not connection.in_atomic_block:
        raise RuntimeError("sale_days.bulk needs a transaction")
    drop(connection)
    try:
        yield lambda orders, params=(): refresh(orders, params, connection)
    finally:
        if not connection.needs_rollback:
            with connection.cursor() as cursor:
                for statement in SQLITE:
                    cursor.execute(statement)


def _after_migrate(sender, using, **kwargs):
    from django.db import connections

    ensure(connections[using])


def connect():
    post_migrate.connect(_after_migrate, dispatch_uid="sales_sale_days_ensure")
