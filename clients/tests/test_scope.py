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


@pytest.mark.parametrize("ordering", [["name", "id"], ["-created_at", "-id"]])
def test_a_filtered_page_merges_own_and_shared_in_order(manager, teammate, ordering):
    """PostgreSQL sorts each alternative of the scope by its own index and merges them
    (core.pagination.page_ids); the pages are those of the plain query, both ways, once each."""
    from django.test.utils import CaptureQueriesContext

    from core.pagination import paginate

    for i in range(14):
        cp = CounterpartyFactory(main_manager=manager if i % 2 else teammate, name=f"Клиент {i % 5}",
                                 city="Тверь" if i % 3 else "Москва")
        if i % 4 == 0 or i == 13:  # 13: his own and shared with him as well
            CounterpartyShare.objects.create(counterparty=cp, user=manager)
    CounterpartyFactory(main_manager=manager, city="Тверь").delete()
    scoped = Counterparty.objects.restrict(manager, access.VIEW)
    for qs in (scoped.filter(city="Тверь"), scoped):
        expected = list(qs.order_by(*ordering))
        seen, cursor, pages = [], None, []
        with CaptureQueriesContext(connection) as queries:
            while True:
                page = paginate(qs, ordering, cursor, per_page=2)
                seen += page.items
                pages.append(page)
                if not page.next_cursor:
                    break
                cursor = page.next_cursor
        assert seen == expected and len(expected) >= 6
        assert paginate(qs, ordering, pages[-1].prev_cursor, per_page=2).items == pages[-2].items
        merged = any("UNION" in q["sql"] for q in queries.captured_queries)
        assert merged == (connection.vendor == "postgresql" and qs is not scoped)
    assert paginate(scoped.filter(city="Тверь").none(), ordering).items == []  # a filter that returns none()
