"""Extension points of core: filters, table columns and card panels registered by other apps."""

import django_filters
import pytest
from django.db.models import Value
from django.test import RequestFactory

from clients.models import Counterparty
from clients.tests.factories import CounterpartyFactory
from core import registry
from core.cards import CardPanel, panels_for, register_panel
from core.filtersets import BaseFilterSet, register_filter, unregister_filter
from core.tables import Column, Table, register_column, unregister_column


def city_filter():
    return django_filters.CharFilter(field_name="city", lookup_expr="iexact", label="Town")


@pytest.fixture
def cleanup():
    yield
    unregister_filter("clients.Counterparty", "town")
    unregister_column("core.SampleTable", "shout")
    registry.card_panels.unregister("clients.counterparty:sample")


def test_filter_reaches_filtersets_defined_before_and_after(cleanup):
    class Before(BaseFilterSet):
        class Meta:
            model = Counterparty
            fields = []

    assert "town" not in Before.base_filters
    register_filter("clients.Counterparty", "town", city_filter)

    class After(BaseFilterSet):
        class Meta:
            model = Counterparty
            fields = []

    class Child(Before):
        pass

    for filterset in (Before, After, Child):
        assert "town" in filterset.base_filters, filterset
    unregister_filter("clients.Counterparty", "town")
    assert "town" not in Before.base_filters and "town" not in After.base_filters


def test_a_declared_filter_wins(cleanup):
    class Own(BaseFilterSet):
        town = django_filters.NumberFilter()

        class Meta:
            model = Counterparty
            fields = []

    register_filter("clients.Counterparty", "town", city_filter)
    assert isinstance(Own.base_filters["town"], django_filters.NumberFilter)


@pytest.mark.django_db
def test_registered_filter_filters(cleanup):
    register_filter("clients.Counterparty", "town", city_filter)
    from clients.filtersets import CounterpartyFilterSet

    CounterpartyFactory(name="Тверской", city="Тверь")
    CounterpartyFactory(name="Московский", city="Москва")
    fs = CounterpartyFilterSet({"town": "Тверь"}, queryset=Counterparty.objects.all())
    assert [c.name for c in fs.qs] == ["Тверской"]


class SampleTable(Table):
    default_sort = "name"
    name = Column("Name", order_by="name")


def test_registered_column_is_shown_sorted_exported_and_prepared(cleanup):
    register_column("core.SampleTable", "shout", Column("Shout", order_by="shout", render=lambda o: o.shout),
                    prepare=lambda qs: qs.annotate(shout=Value("!")))
    assert SampleTable.label() == "core.SampleTable"
    assert [c.name for c in SampleTable([]).columns] == ["name", "shout"]
    assert SampleTable.ordering_for("-shout") == ("-shout", ["-shout", "-id"])
    assert SampleTable.ordering_for("nonsense") == ("name", ["name", "id"])
    qs = SampleTable.prepare(Counterparty.objects.all())
    assert "shout" in qs.query.annotations

    class Row:
        name, shout = "n", "!"

    assert list(SampleTable([Row()]).export_rows()) == [["Name", "Shout"], ["n", "!"]]
    unregister_column("core.SampleTable", "shout")
    assert [c.name for c in SampleTable([]).columns] == ["name"]


@pytest.mark.django_db
def test_card_panels(cleanup, manager, quality):
    register_panel(CardPanel("sample", "analytics/override_history.html",
                             lambda request, obj: {"history": []} if obj.city else None,
                             permission=lambda user: user.role != "quality"))
    request = RequestFactory().get("/")
    request.user = manager
    with_city, without = CounterpartyFactory(city="Тверь"), CounterpartyFactory(city="")
    keys = lambda obj: [p.key for p, _c in panels_for("clients.counterparty", request, obj)]  # noqa: E731
    assert "sample" in keys(with_city) and "sample" not in keys(without)
    request.user = quality
    assert "sample" not in keys(with_city)
