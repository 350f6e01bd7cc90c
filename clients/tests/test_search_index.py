"""Quick search through the SQLite FTS mirror (or pg_trgm on PostgreSQL) stays correct."""

import pytest
from django.db import connection

from clients import fts
from clients.models import Counterparty
from clients.services import search_q
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
