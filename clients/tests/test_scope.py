"""A sales manager's clients: his own and those shared with him, spelled so that indexes serve it."""

import pytest
from django.db import connection

from clients.models import Counterparty, CounterpartyShare
from clients.tests.factories import CounterpartyFactory
from core import access

pytestmark = pytest.mark.django_db


def test_own_and_shared_clients_only(manager, teammate):
    own = CounterpartyFactory(main_manager=manager, name="Own")
    shared = CounterpartyFactory(main_manager=teammate, name="Shared")
    CounterpartyShare.objects.create(counterparty=shared, user=manager)
    CounterpartyFactory(main_manager=teammate, name="Not his")
    trashed = CounterpartyFactory(main_manager=manager, name="Trashed")
    trashed.delete()
    visible = Counterparty.objects.restrict(manager, access.VIEW)
    assert list(visible.order_by("name")) == [own, shared]
    assert visible.count() == 2


def test_spelled_as_an_or_an_index_can_serve(manager):
    """No UNION of ids (PostgreSQL joined every one of them before sorting a page); on PostgreSQL
    the shared ids are an array, so the OR can probe indexes (core.models.AnyOf)."""
    sql = str(Counterparty.objects.restrict(manager, access.VIEW).query)
    assert "UNION" not in sql
    assert ("= ANY(ARRAY(SELECT" if connection.vendor == "postgresql" else " IN (SELECT") in sql
