import pytest

from clients.models import Counterparty
from clients.tests.factories import CounterpartyFactory
from core.pagination import paginate

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("ordering", [["name", "id"], ["-name", "-id"], ["city", "id"], ["-created_at", "-id"]])
def test_keyset_walks_every_row_once_both_ways(ordering):
    for i in range(23):
        CounterpartyFactory(name=f"Client {i % 7}", city=["A", "B", "C"][i % 3])
    qs = Counterparty.objects.all()
    expected = list(qs.order_by(*ordering))
    seen, pages, cursor = [], [], None
    while True:
        page = paginate(qs, ordering, cursor, per_page=5)
        pages.append(page)
        seen += page.items
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == expected
    assert pages[0].prev_cursor is None
    # and back again from the last page
    back = paginate(qs, ordering, pages[-1].prev_cursor, per_page=5)
    assert back.items == pages[-2].items


def test_garbage_cursor_falls_back_to_first_page():
    CounterpartyFactory()
    page = paginate(Counterparty.objects.all(), ["name", "id"], "n:@@@not-base64", per_page=5)
    assert len(page.items) == 1


def test_the_page_is_ranked_on_ids_then_fetched_whole(django_assert_num_queries):
    from django.db.models import F, Value
    from django.db.models.functions import Concat

    for i in range(7):
        CounterpartyFactory(name=f"Client {i}")
    qs = Counterparty.objects.select_related("main_manager").annotate(label=Concat(F("name"), Value("!")))
    with django_assert_num_queries(2):  # the ids in order, then the rows
        page = paginate(qs, ["-name", "id"], per_page=3)
        assert [(c.name, c.label) for c in page.items] == [(f"Client {i}", f"Client {i}!") for i in (6, 5, 4)]
    with django_assert_num_queries(1):  # DISTINCT: one query, as before
        assert len(paginate(qs.distinct(), ["name", "id"], per_page=3).items) == 3


def test_the_benchs_deep_cursor_lands_where_next_links_lead(admin_user, client):
    """``manage.py bench`` jumps to page n of a list as a user sees it (``("page", n)``)."""
    import re
    from html import unescape
    from urllib.parse import unquote

    from django.urls import reverse

    from core.management.commands.bench import deep_cursor

    for i in range(120):
        CounterpartyFactory(name=f"Client {i % 9}")
    url = reverse("clients:counterparty_list")
    client.force_login(admin_user)
    cursor = None
    for _ in range(2):  # page 1 → 2 → 3 by the Next links
        page = client.get(url, {"cursor": cursor} if cursor else {}).content.decode()
        cursor = unquote(unescape(re.search(r'cursor=([^"&]+)"[^>]*data-testid="next-page"', page).group(1)))
    assert deep_cursor(url, admin_user, 3) == cursor
    last = deep_cursor(url, admin_user, 100)  # past the end: after the last row
    after = client.get(url, {"cursor": last}).content.decode()
    assert not re.search(r'cursor=n[^"&]+"[^>]*data-testid="next-page"', after)


def test_keys_in_one_direction_compare_as_a_row_where_the_database_can():
    """PostgreSQL starts the index walk at the cursor with ``(name, id) > (…)``; SQLite and mixed
    directions get the equivalent OR of the keys."""
    from django.db import connection

    from core.pagination import _after_q

    qs = Counterparty.objects.all()
    row = str(qs.filter(_after_q(["name", "id"], ["Б", 7])).query)
    mixed = str(qs.filter(_after_q(["name", "-id"], ["Б", 7])).query)
    if connection.features.supports_tuple_lookups:
        assert ") > (" in row.replace('"', "")
    assert ") > (" not in mixed.replace('"', "") and " OR " in mixed


@pytest.mark.django_db
def test_serial_turns_parallel_workers_off_for_its_block_only():
    from django.db import connection

    from core.pagination import serial

    def workers():
        with connection.cursor() as cursor:
            cursor.execute("SHOW max_parallel_workers_per_gather")
            return cursor.fetchone()[0]

    if connection.vendor != "postgresql":
        with serial():  # nothing to set elsewhere
            return
    before = workers()
    with serial():
        assert workers() == "0"
    assert workers() == before != "0"
