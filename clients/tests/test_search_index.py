"""Quick search through the SQLite FTS mirror (or pg_trgm on PostgreSQL) stays correct."""

import pytest
from django.db import connection

from clients import fts
from clients.models import Counterparty
from clients.services import normalize_text, search_q
from clients.tests.factories import ContactInfoFactory, CounterpartyFactory

pytestmark = pytest.mark.django_db


def found(query):
    return set(Counterparty.objects.filter(search_q(query)).values_list("name", flat=True))


def test_mirror_follows_inserts_updates_and_deletes():
    cp = CounterpartyFactory(name="Холодок", full_name="")
    ContactInfoFactory(counterparty=cp, value="+79035236645")
    assert found("холод") == {"Холодок"}
    assert found("8 903 523 66 45") == {"Холодок"}
    cp.name = "Мороз"
    cp.save()
    assert found("холод") == set() and found("мороз") == {"Мороз"}
    cp.hard_delete()
    assert found("мороз") == set()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite FTS mirror")
def test_dropped_triggers_are_recreated_after_migrate():
    CounterpartyFactory(name="Снежинка")
    fts.drop(connection)
    assert not fts.ready(connection)
    assert found("снежин") == {"Снежинка"}  # LIKE fallback
    fts.ensure(connection)
    assert fts.ready(connection)
    assert found("снежин") == {"Снежинка"}  # rebuilt mirror


def _bulk(names):
    """Counterparties inserted as an import does (the trigger suspended); returns their ids."""
    with fts.bulk_insert(connection) as index:
        made = [CounterpartyFactory.build(name=name, search_text=normalize_text(name)) for name in names]
        Counterparty.objects.bulk_create(made)
        index([cp.pk for cp in made])
    return made


def test_bulk_inserts_are_indexed_and_the_trigger_comes_back():
    from django.db import transaction

    with transaction.atomic():
        _bulk(["Пурга", "Позёмка"])
    assert found("пург") == {"Пурга"} and found("позём") == {"Позёмка"}
    if connection.vendor == "sqlite":
        assert fts.present(connection) == len(fts.OBJECTS)
    CounterpartyFactory(name="Вьюга")  # the insert trigger works again
    assert found("вьюг") == {"Вьюга"}


def test_a_rolled_back_bulk_insert_leaves_the_mirror_and_its_trigger():
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        _bulk(["Метель"])
        raise RuntimeError("cancelled")
    assert found("метел") == set()
    if connection.vendor == "sqlite":
        assert fts.present(connection) == len(fts.OBJECTS)
    CounterpartyFactory(name="Буран")
    assert found("буран") == {"Буран"}
