"""InteractionDay, the interactions per responsible, state and UTC day kept by database triggers
(core.rollups), against the interactions it counts; and the dashboard figures read from it."""

import datetime as dt
import random
from collections import Counter

import pytest
from django.db import connection, transaction

from activities.dashboard import counts_from_days, counts_live, measures
from activities.models import Interaction, InteractionDay
from activities.rollups import INTERACTION_DAYS
from activities.tests.factories import InteractionFactory
from clients.tests.factories import CounterpartyFactory
from core import access, rollups
from core.dashboard import Moment
from core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def at(day, hour, minute=0):
    return dt.datetime(2025, 3, day, hour, minute, tzinfo=UTC)


def expected():
    alive = Interaction.objects.all()  # the default manager: not in the trash
    return Counter((i.responsible_id, i.state, i.start.astimezone(UTC).date()) for i in alive)


def kept():
    return Counter({(d.responsible_id, d.state, d.day): d.count for d in InteractionDay.objects.all() if d.count})


def check():
    assert kept() == expected()


def test_every_write_of_interactions_keeps_the_days():
    anna, boris = UserFactory(), UserFactory()
    late = InteractionFactory(responsible=anna, start=at(3, 23, 30))  # 02:30 in Moscow, the 3rd in UTC
    early = InteractionFactory(responsible=anna, start=at(4, 0, 10))
    InteractionFactory(responsible=boris, start=at(4, 12), state="done")
    check()
    Interaction.objects.filter(pk=late.pk).update(state="done")  # around the model
    check()
    Interaction.objects.filter(responsible=anna).update(start=at(5, 9))  # both to one day
    check()
    early.refresh_from_db()
    early.responsible = boris
    early.save()
    check()
    early.delete()  # the trash: not counted
    check()
    early.restore()
    check()
    Interaction.objects.bulk_create([
        Interaction(type=late.type, subject="Bulk", counterparty=late.counterparty, responsible=boris,
                    start=at(6, h), state="cancelled") for h in range(5)])
    check()
    Interaction.all_objects.filter(pk=early.pk).delete()  # for good
    check()
    assert rollups.rebuild(INTERACTION_DAYS) and kept() == expected()


def test_the_triggers_come_back_after_migrate_and_bulk_loads_rebuild(transactional_db):
    anna = UserFactory()
    InteractionFactory(responsible=anna, start=at(3, 10))
    rollups.drop(INTERACTION_DAYS, connection)
    InteractionFactory(responsible=anna, start=at(3, 11))  # missed
    assert kept() != expected()
    rollups.ensure(connection)
    assert rollups.present(INTERACTION_DAYS, connection) == 3
    check()
    with transaction.atomic(), rollups.bulk(INTERACTION_DAYS):
        InteractionFactory(responsible=anna, start=at(7, 10))
    assert rollups.present(INTERACTION_DAYS, connection) == 3
    check()
    with pytest.raises(RuntimeError), transaction.atomic(), rollups.bulk(INTERACTION_DAYS):
        InteractionFactory(responsible=anna, start=at(8, 10))
        raise RuntimeError
    assert rollups.present(INTERACTION_DAYS, connection) == 3
    check()


@pytest.mark.parametrize("now", [at(12, 9, 30), at(12, 21, 0), at(12, 20, 59), at(31, 21, 30), at(1, 0, 0)])
def test_the_dashboard_counts_from_the_days_as_from_the_interactions(head, now):
    """Whole UTC days from the rollup, the partial days at the ends (Moscow's midnight is 21:00
    UTC) from the interactions, the contacts of clients in the trash taken off."""
    rng = random.Random(now.timestamp())
    people = [UserFactory(), UserFactory(), UserFactory()]
    clients = [CounterpartyFactory(main_manager=p) for p in people for _ in range(2)]
    for _ in range(120):
        InteractionFactory(responsible=rng.choice(people), counterparty=rng.choice(clients),
                           state=rng.choice(["done", "planned", "planned", "cancelled"]),
                           start=now + dt.timedelta(minutes=rng.randint(-60 * 24 * 45, 60 * 24 * 45)))
    clients[0].delete()
    InteractionFactory(responsible=people[0], start=now - dt.timedelta(days=3), state="done").delete()
    moment = Moment(now)
    live = counts_live(Interaction.objects.restrict(head, access.VIEW), measures(moment))
    from_days = counts_from_days(head, moment)
    assert {u: r for u, r in from_days.items() if any(r.values())} == {
        u: r for u, r in live.items() if any(r.values())}
    assert sum(r["done_month"] + r["overdue"] + r["planned"] for r in live.values()) > 30


def test_emptying_the_tables_leaves_no_negative_counts(transactional_db, head):
    """A flush empties the rollup before the interactions on SQLite (DELETE, triggers fire): taking
    a row off a group that is not there changes nothing, and the dashboard skips unknown users."""
    InteractionFactory(start=at(3, 10))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM activities_interactionday")
        cursor.execute("DELETE FROM activities_interaction_contact_persons")
        cursor.execute("DELETE FROM activities_interaction")
    assert not InteractionDay.objects.exists()
    InteractionDay.objects.create(responsible_id=987654, state="planned", day=dt.date(2025, 3, 20), count=1)
    assert counts_from_days(head, Moment(at(12, 9)))[987654]["planned"] == 1
    from activities.dashboard import employees

    assert employees(head, Moment(at(12, 9))) == []


def test_migrate_brings_the_trigger_bodies_up_to_date(transactional_db):
    """``ensure`` (after every migrate) replaces triggers an older version left with the same names,
    and rebuilds the rollup they kept otherwise."""
    InteractionFactory(start=at(3, 9))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CREATE OR REPLACE FUNCTION activities_interactionday_keep() RETURNS trigger "
                           "LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$")
        else:
            cursor.execute("DROP TRIGGER activities_interactionday_i")
            cursor.execute("CREATE TRIGGER activities_interactionday_i AFTER INSERT ON activities_interaction "
                           "BEGIN SELECT 1; END")
    InteractionFactory(start=at(3, 10))  # counted otherwise (here: not at all)
    assert rollups.present(INTERACTION_DAYS, connection) == 3 and rollups.changed(INTERACTION_DAYS, connection)
    assert kept() != expected()
    rollups.ensure(connection)
    assert not rollups.changed(INTERACTION_DAYS, connection)
    check()
    InteractionFactory(start=at(3, 11))
    check()
