"""The interactions' rollup (``InteractionDay``), kept by ``core.rollups`` triggers."""

from core import rollups

from .models import Interaction, InteractionDay

INTERACTION_DAYS = rollups.Rollup(
    model=InteractionDay,
    source=Interaction._meta.db_table,
    keys={"responsible_id": "{r}.responsible_id", "state": "{r}.state",
          # Datetimes are stored in UTC; SQLite keeps them as text.
          "day": {"postgresql": "({r}.start AT TIME ZONE 'UTC')::date", "sqlite": "date({r}.start)"}},
    sums={"count": "1"},
    where="{r}.deleted_at IS NULL",
)


def register():
    rollups.register(INTERACTION_DAYS)
