"""Bad input is a 400 naming the field, never a 500 (issue 8, defect 4).

Generated over every FilterSet of the API router and of the HTML list views, so a filter
added later is covered without anyone remembering to.
"""

import django_filters
import pytest
from django import forms
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from clients.tests.factories import CounterpartyFactory
from core.filtersets import BaseFilterSet
from klientura.api_urls import router

pytestmark = pytest.mark.django_db

HUGE_IDS = [str(2**63), "99999999999999999999999", str(-(2**63) - 1)]
EDGE_DATES = ["9999-12-31", "0001-01-01", "1850-06-01"]
ID_FILTERS = (django_filters.ModelChoiceFilter, django_filters.ModelMultipleChoiceFilter,
              django_filters.NumberFilter)


def api_filtersets():
    for prefix, viewset, _basename in router.registry:
        fs = getattr(viewset, "filterset_class", None)
        if fs is not None:
            yield f"/api/{prefix}/", fs


def list_views():
    """(url, filterset) of every HTML list page without URL arguments."""
    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                view = getattr(p.callback, "view_class", None)
                fs = getattr(view, "filterset_class", None)
                if fs is not None and "<" not in str(p.pattern) and not prefix.startswith("api/"):
                    yield "/" + prefix + str(p.pattern), fs
    return sorted(set(walk(get_resolver().url_patterns, "")), key=lambda item: item[0])


def cases(kinds):
    out = []
    for url, fs in [*api_filtersets(), *list_views()]:
        for name, flt in fs.base_filters.items():
            if isinstance(flt, kinds):
                out.append(pytest.param(url, name, id=f"{url}?{name}"))
    return out


def test_every_filterset_is_bounded():
    for _url, fs in [*api_filtersets(), *list_views()]:
        assert issubclass(fs, BaseFilterSet), fs


@pytest.mark.parametrize("url, name", [c for c in cases(ID_FILTERS) if c.values[0].startswith("/api/")])
def test_api_id_filter_out_of_range_is_400_naming_it(admin_user, url, name):
    client = APIClient()
    client.force_authenticate(admin_user)
    for value in HUGE_IDS:
        resp = client.get(url, {name: value})
        assert resp.status_code == 400, (value, resp.content)
        assert name in resp.json()


@pytest.mark.parametrize("url, name", [c for c in cases(django_filters.DateFilter)
                                       if c.values[0].startswith("/api/")])
def test_api_date_filter_out_of_range_is_400_naming_it(admin_user, url, name):
    client = APIClient()
    client.force_authenticate(admin_user)
    for value in EDGE_DATES:
        resp = client.get(url, {name: value})
        assert resp.status_code == 400, (value, resp.content)
        assert name in resp.json()


@pytest.mark.parametrize("url, name", [c for c in cases((*ID_FILTERS, django_filters.DateFilter))
                                       if not c.values[0].startswith("/api/")])
def test_list_page_filter_out_of_range_is_400_naming_it(admin_user, client_for, url, name):
    client = client_for(admin_user)
    flt = dict(list_views())[url].base_filters[name]
    for value in (EDGE_DATES if isinstance(flt, django_filters.DateFilter) else HUGE_IDS):
        resp = client.get(url, {name: value})
        assert resp.status_code == 400 and resp.context["filterset"].errors.get(name), (value, name)
        label = str(resp.context["filterset"].form[name].label)
        for export in ("csv", "xlsx"):
            resp = client.get(url, {name: value, "export": export})
            assert resp.status_code == 400 and label in resp.content.decode(), (value, name, export)


def test_api_detail_with_a_huge_id_is_404(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    for prefix, _viewset, _basename in router.registry:
        assert client.get(f"/api/{prefix}/99999999999999999999/").status_code == 404, prefix


def test_batch_change_with_a_huge_pk_is_400(admin_user, client_for):
    client = client_for(admin_user)
    resp = client.get("/clients/batch/", {"pk": str(2**63)})
    assert resp.status_code == 400 and "pk" in resp.content.decode()
    resp = client.post("/clients/batch/", {"pk": [str(2**63)], "main_manager": admin_user.pk})
    assert resp.status_code == 400 and "pk" in resp.content.decode()


@pytest.mark.parametrize("day", EDGE_DATES)
@pytest.mark.parametrize("view", ["day", "week", "month", "list"])
def test_calendar_page_at_the_edges_is_400_naming_the_field(admin_user, client_for, day, view):
    client = client_for(admin_user)
    resp = client.get("/activities/calendar/", {"date": day, "view": view, "date_from": day, "date_to": day})
    assert resp.status_code == 400
    assert {"date", "date_from", "date_to"} <= set(resp.context["form"].errors)
    assert 'data-field="date_from"' in resp.content.decode()


def test_calendar_page_huge_ids(admin_user, client_for):
    client = client_for(admin_user)
    resp = client.get("/activities/calendar/", {"counterparty": str(2**63)})
    assert resp.status_code == 400 and 'data-field="counterparty"' in resp.content.decode()
    assert client.get("/activities/calendar/", {"user": str(2**63)}).status_code == 404


@pytest.mark.parametrize("day", EDGE_DATES)
def test_api_calendar_at_the_edges_is_400(admin_user, day):
    client = APIClient()
    client.force_authenticate(admin_user)
    resp = client.get("/api/calendar/", {"start": day})
    assert resp.status_code == 400 and "start" in resp.json()
    resp = client.get("/api/calendar/", {"counterparty": str(2**63), "user": str(2**63)})
    assert resp.status_code == 400 and {"counterparty", "user"} <= set(resp.json())
    resp = client.post("/api/calendar/move/", {"kind": "task", "id": 2**63, "version": 1, "date": day},
                       format="json")
    assert resp.status_code == 400 and {"id", "date"} <= set(resp.json())


def test_calendar_move_page_rejects_edges(admin_user, client_for):
    client = client_for(admin_user)
    for data in ({"kind": "task", "id": str(2**63), "version": "1", "date": "2024-01-01"},
                 {"kind": "task", "id": "1", "version": "1", "date": "9999-12-31"}):
        assert client.post("/activities/calendar/move/", data).status_code == 400


def test_dates_before_1900_are_refused_by_the_api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    cp = CounterpartyFactory(main_manager=admin_user)
    resp = client.patch(f"/api/counterparties/{cp.pk}/", {"registered_on": "1850-01-01", "version": cp.version},
                        format="json")
    assert resp.status_code == 400 and "registered_on" in resp.json()
    cp.refresh_from_db()
    assert cp.registered_on != "1850-01-01"


def test_deeply_nested_properties_are_400(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    cp = CounterpartyFactory(main_manager=admin_user)
    url = f"/api/counterparties/{cp.pk}/"
    nested = '{"x": ' + "[" * 50 + "]" * 50 + "}"
    resp = client.patch(url, '{"properties": ' + nested + "}", content_type="application/json",
                        HTTP_IF_MATCH=str(cp.version))
    assert resp.status_code == 400 and "properties" in resp.json()
    # Deeper than Python's JSON decoder can go: a 400 from the parser, not a RecursionError.
    deep = '{"properties": ' + "[" * 100_000 + "]" * 100_000 + "}"
    resp = client.patch(url, deep, content_type="application/json", HTTP_IF_MATCH=str(cp.version))
    assert resp.status_code == 400


def add_routes():
    """(url name, view class) of every create route of a generic edit view (no arguments)."""
    from core.tests.test_unchanged_save import _walk
    from core.views.generic import ObjectEditView

    routes = []
    for name, pattern in _walk(get_resolver().url_patterns):
        view = getattr(pattern.callback, "view_class", None)
        if view and issubclass(view, ObjectEditView) and not pattern.pattern.converters:
            routes.append((name, view))
    return sorted(routes)


@pytest.mark.parametrize("name, view", add_routes(), ids=[n for n, _v in add_routes()])
def test_every_choice_field_with_a_huge_id_is_a_400(admin_user, client_for, name, view):
    """Generated from the resolver: each model-choice field of each create form, posted 2**63."""
    client = client_for(admin_user)
    form = client.get(reverse(name)).context["form"]
    fields = [f for f, field in form.fields.items() if isinstance(field, forms.ModelChoiceField)]
    for field in fields:
        resp = client.post(reverse(name), {field: str(2**63)})
        assert resp.status_code == 400 and field in resp.context["form"].errors, (name, field)
