"""Segments: conditions over the client list's FilterSet (fields, analytics classes, activity),
the live count through the list's count endpoint, the reader's scope, validation, unchanged saves."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import Interaction
from activities.tests.factories import InteractionFactory
from clients.tests.factories import CounterpartyFactory
from marketing.models import Segment
from marketing.segments import query_from, segment_queryset
from sales.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db
D = dt.date(2026, 6, 1)


@pytest.fixture
def base(manager, teammate):
    quiet = CounterpartyFactory(name="Тихий", main_manager=manager, city="Тверь")
    busy = CounterpartyFactory(name="Активный", main_manager=manager, city="Тверь")
    big = CounterpartyFactory(name="Крупный", main_manager=manager, city="Москва")
    theirs = CounterpartyFactory(name="Чужой", main_manager=teammate, city="Тверь")
    InteractionFactory(counterparty=busy, responsible=manager, state=Interaction.State.DONE,
                       start=timezone.make_aware(dt.datetime(2026, 6, 10, 10)))
    for day, amount in ((dt.date(2026, 5, 10), 60_000), (dt.date(2026, 6, 5), 50_000), (dt.date(2025, 1, 1), 900_000)):
        OrderFactory(counterparty=big, responsible=manager, date=day, amount=Decimal(amount), currency="RUB")
    OrderFactory(counterparty=busy, responsible=manager, date=dt.date(2026, 6, 5), amount=Decimal(10), currency="RUB")
    return {"quiet": quiet, "busy": busy, "big": big, "theirs": theirs}


def names(query, user):
    return sorted(segment_queryset(query, user)[0].values_list("name", flat=True))


def test_conditions_on_fields_and_activity(base, head):
    assert names("city=Тверь", head) == ["Активный", "Тихий", "Чужой"]
    assert names(f"city=Тверь&no_contact_since={D}", head) == ["Тихий", "Чужой"]
    assert names(f"contact_since={D}", head) == ["Активный"]
    assert names("ordered_from=2026-05-01&ordered_to=2026-06-30", head) == ["Активный", "Крупный"]
    # The sum over the period: 60 000 + 50 000 ≥ 100 000; the old 900 000 is outside it.
    assert names("ordered_from=2026-05-01&ordered_sum_min=100000", head) == ["Крупный"]
    assert names("ordered_sum_min=2000000", head) == []
    assert names("ordered_sum_min=950000", head) == ["Крупный"]  # all time: 1 010 000


def test_a_manager_counts_only_their_clients(base, manager, client_for):
    assert names("city=Тверь", manager) == ["Активный", "Тихий"]
    segment = Segment.objects.create(name="Тверь", query="city=Тверь")
    page = client_for(manager).get(segment.get_absolute_url())
    assert page.context["count"] == 2 and "Чужой" not in page.content.decode()
    # The live preview is the client list's own count, within the reader's scope.
    resp = client_for(manager).get(reverse("clients:counterparty_list"), {"count": "", "city": "Тверь"})
    assert resp.content.decode().startswith("2 ")


def test_a_marketer_saves_a_segment_from_the_filters_and_an_unchanged_save_changes_nothing(base, marketer,
                                                                                             client_for):
    c = client_for(marketer)
    data = {"name": "Тихие в Твери", "description": "", "city": "Тверь", "no_contact_since": "2026-06-01",
            "region": "", "ordered_sum_min": ""}
    resp = c.post(reverse("marketing:segment_add"), data)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    segment = Segment.objects.get()
    assert segment.query == "city=%D0%A2%D0%B2%D0%B5%D1%80%D1%8C&no_contact_since=2026-06-01"
    page = c.get(reverse("marketing:segment_edit", args=[segment.pk]))
    assert page.context["filters"]["city"].value() == "Тверь"
    resp = c.post(reverse("marketing:segment_edit", args=[segment.pk]), {**data, "version": segment.version})
    assert resp.status_code == 302
    segment.refresh_from_db()
    assert segment.version == 1 and segment.history.count() == 1
    detail = c.get(segment.get_absolute_url()).content.decode()
    assert "Тверь" in detail and "2026" in detail


def test_bad_conditions_are_refused_naming_the_filter(marketer, client_for, api):
    resp = client_for(marketer).post(reverse("marketing:segment_add"),
                                     {"name": "X", "description": "", "no_contact_since": "вчера"})
    assert resp.status_code == 400 and "No contact since" in str(resp.context["form"].errors["query"])
    resp = api(marketer).post("/api/segments/", {"name": "X", "query": "ordered_sum_min=-5"}, format="json")
    assert resp.status_code == 400 and "query" in resp.json()
    resp = api(marketer).post("/api/segments/", {"name": "Москва", "query": "city=Москва"}, format="json")
    assert resp.status_code == 201 and resp.json()["clients_url"] == "/api/counterparties/?city=Москва"


def test_query_from_keeps_the_filtersets_order():
    from django.http import QueryDict

    assert query_from(QueryDict("no_contact_since=2026-01-01&city=A&name=x&csrfmiddlewaretoken=t")) == \
        "city=A&no_contact_since=2026-01-01"


def test_contact_since_counts_from_the_local_midnight(manager, head):
    """A contact at 00:30 local time (the previous day in UTC) is on the day; one a minute before
    midnight is not."""
    on_day = CounterpartyFactory(name="В полночь", main_manager=manager)
    before = CounterpartyFactory(name="До полуночи", main_manager=manager)
    InteractionFactory(counterparty=on_day, responsible=manager, state=Interaction.State.DONE,
                       start=timezone.make_aware(dt.datetime(2026, 6, 1, 0, 30)))
    InteractionFactory(counterparty=before, responsible=manager, state=Interaction.State.DONE,
                       start=timezone.make_aware(dt.datetime(2026, 5, 31, 23, 59)))
    assert names(f"contact_since={D}", head) == ["В полночь"]
    assert names(f"no_contact_since={D}", head) == ["До полуночи"]
