"""The client list, its filters, exports, the API and the card show the current classes."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from analytics.clients_ui import trend
from analytics.tests.factories import (
    AnalysisRunFactory,
    ClassificationFactory,
    ClassOverrideFactory,
    ClientAnalysisFactory,
)
from clients.tests.factories import CounterpartyFactory
from core.models import SavedFilter

pytestmark = pytest.mark.django_db
LIST = reverse("clients:counterparty_list")


@pytest.fixture
def run():
    return AnalysisRunFactory()


def classify(run, cp, abc="", stage="regular", xyz="", prev=("", "regular", ""), new=False, computed=None):
    """The client's row in ``run`` and its Classification (the previous run's values ``prev``)."""
    abc_prev, stage_prev, xyz_prev = (None, None, None) if new else prev
    comp = computed or (abc, stage, xyz)
    ClientAnalysisFactory(run=run, counterparty=cp, abc=comp[0], stage=comp[1], xyz=comp[2], abc_effective=abc,
                          stage_effective=stage, xyz_effective=xyz, abc_prev=abc_prev, stage_prev=stage_prev,
                          xyz_prev=xyz_prev)
    return ClassificationFactory(counterparty=cp, abc=abc, stage=stage, xyz=xyz, abc_prev=abc_prev,
                                 stage_prev=stage_prev, xyz_prev=xyz_prev)


@pytest.fixture
def clients(run, manager):
    made = {
        "rising": CounterpartyFactory(name="Растущий", main_manager=manager),
        "falling": CounterpartyFactory(name="Падающий", main_manager=manager),
        "steady": CounterpartyFactory(name="Ровный", main_manager=manager),
        "fresh": CounterpartyFactory(name="Новичок", main_manager=manager),
        "never": CounterpartyFactory(name="Без анализа", main_manager=manager),
    }
    classify(run, made["rising"], "A", "regular", "X", prev=("B", "one_time", "Y"))
    classify(run, made["falling"], "C", "lost", "", prev=("A", "regular", "X"))
    classify(run, made["steady"], "B", "regular", "Y", prev=("B", "regular", "Y"))
    classify(run, made["fresh"], "", "potential", "", new=True)
    return made


def names(resp):
    return [obj.name for obj in resp.context["table"].rows]


@pytest.mark.parametrize(("kind", "current", "previous", "expected"), [
    ("abc", "A", "B", "up"), ("abc", "C", "A", "down"), ("abc", "B", "B", "same"), ("abc", "A", None, "new"),
    ("abc", "C", "", "up"), ("abc", "", "C", "down"),
    ("stage", "lost", "one_time", "down"), ("stage", "regular", "one_time", "up"),
    ("stage", "potential", "lost", "up"), ("xyz", "Z", "X", "down"), ("xyz", "", "", "same"),
])
def test_trend(kind, current, previous, expected):
    assert trend(kind, current, previous) == expected


def test_list_filters_by_class_stage_xyz_and_trend(clients, manager, client_for):
    c = client_for(manager)
    assert names(c.get(LIST, {"abc": "A"})) == ["Растущий"]
    assert sorted(names(c.get(LIST, {"abc": ["A", "B"]}))) == ["Растущий", "Ровный"]
    assert names(c.get(LIST, {"stage": "lost"})) == ["Падающий"]
    assert names(c.get(LIST, {"xyz": "Y"})) == ["Ровный"]
    assert names(c.get(LIST, {"class_trend": "down"})) == ["Падающий"]
    assert names(c.get(LIST, {"class_trend": "up"})) == ["Растущий"]
    assert names(c.get(LIST, {"class_trend": "new"})) == ["Новичок"]
    resp = c.get(LIST, {"abc": "Q"})
    assert resp.status_code == 400 and "abc" in resp.context["filterset"].errors
    # The sidebar offers the filters.
    body = c.get(LIST).content.decode()
    assert 'name="abc"' in body and 'name="stage"' in body and 'name="xyz"' in body


@pytest.mark.parametrize("common", [False, True], ids=["rare: id list", "common: exists"])
def test_class_filters_give_the_same_rows_by_either_plan(clients, run, manager, client_for, common):
    """A class under 5 % of the run's clients is filtered by an id list, a common one by EXISTS."""
    run.clients = 4
    run.counts = {"abc": {"A": 4 if common else 0}, "stage": {"lost": 4 if common else 0}}
    run.save()
    c = client_for(manager)
    assert names(c.get(LIST, {"abc": "A"})) == ["Растущий"]
    assert names(c.get(LIST, {"stage": "lost"})) == ["Падающий"]


def test_api_filters_counterparties_by_class(clients, manager, api):
    resp = api(manager).get("/api/counterparties/", {"abc": "A"})
    assert resp.status_code == 200
    assert [r["name"] for r in resp.json()["results"]] == ["Растущий"]
    resp = api(manager).get("/api/counterparties/", {"stage": "nonsense"})
    assert resp.status_code == 400 and "stage" in resp.json()


def test_schema_lists_the_registered_filters(admin_user, api):
    schema = api(admin_user).get("/api/schema/", {"format": "json"}).json()
    params = {p["name"] for p in schema["paths"]["/api/counterparties/"]["get"]["parameters"]}
    assert {"abc", "stage", "xyz", "class_trend"} <= params


def test_saved_filter_by_class(clients, manager, client_for):
    c = client_for(manager)
    c.post(reverse("save_filter"), {"name": "Класс A", "target": "clients.counterparty", "query": "abc=A",
                                   "back": LIST})
    saved = SavedFilter.objects.get(user=manager)
    assert names(c.get(f"{LIST}?{saved.query}")) == ["Растущий"]


def test_columns_with_arrows(clients, manager, client_for):
    c = client_for(manager)
    resp = c.get(LIST, {"sort": "name"})
    labels = [h["label"] for h in resp.context["table"].headers()]
    assert labels[-3:] == ["ABC", "Stage", "XYZ"]
    body = resp.content.decode()
    assert 'data-trend="up"' in body and 'data-trend="down"' in body and 'data-trend="same"' in body
    assert 'data-trend="new"' in body
    rows = {obj.name: cells for obj, cells in resp.context["table"].body()}
    assert "A" in rows["Растущий"][-3][0] and "↑" in rows["Растущий"][-3][0]
    assert "↓" in rows["Падающий"][-2][0]  # lost < regular
    assert rows["Без анализа"][-3][0] == ""


def test_export_includes_the_columns(clients, manager, client_for):
    c = client_for(manager)
    resp = c.get(LIST, {"export": "csv", "sort": "name"})
    rows = list(csv.reader(io.StringIO(b"".join(resp.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert rows[0][-3:] == ["ABC", "Stage", "XYZ"]
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["Растущий"][-3:] == ["A ↑", "Regular ↑", "X ↑"]
    assert by_name["Падающий"][-3:] == ["C ↓", "Lost ↓", "— ↓"]
    assert by_name["Ровный"][-3:] == ["B =", "Regular =", "Y ="]
    assert by_name["Новичок"][-3] == "— new"
    assert by_name["Без анализа"][-3:] == ["", "", ""]
    resp = c.get(LIST, {"export": "xlsx", "abc": "A"})
    sheet = load_workbook(io.BytesIO(resp.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][-3:] == ("A ↑", "Regular ↑", "X ↑")


def test_sort_by_class_and_stage(clients, manager, client_for):
    c = client_for(manager)
    assert names(c.get(LIST, {"sort": "abc"}))[-3:] == ["Растущий", "Ровный", "Падающий"]
    assert set(names(c.get(LIST, {"sort": "-stage"}))[:2]) == {"Растущий", "Ровный"}  # both regular
    assert names(c.get(LIST, {"sort": "-stage"}))[-1] == "Без анализа"
    # Keyset pages over the annotated sort key: every client exactly once.
    first = c.get(LIST, {"sort": "abc", "per_page": 25})
    assert len(names(first)) == 5


def test_list_query_count_does_not_grow(run, manager, client_for, django_assert_max_num_queries):
    c = client_for(manager)
    for _ in range(3):
        classify(run, CounterpartyFactory(main_manager=manager), "A", "regular", "X")
    c.get(LIST)  # warm caches (content types, properties)
    with CaptureQueriesContext(connection) as few:
        c.get(LIST)
    for _ in range(50):
        classify(run, CounterpartyFactory(main_manager=manager), "B", "one_time", "", new=True)
    with django_assert_max_num_queries(len(few.captured_queries)):
        resp = c.get(LIST)
    assert len(names(resp)) == 50


def test_card_panel(clients, manager, head, client_for, run):
    cp = clients["rising"]
    resp = client_for(manager).get(cp.get_absolute_url())
    body = resp.content.decode()
    assert 'data-testid="card-classification"' in body
    assert 'data-testid="class-abc"' in body and 'data-trend="up"' in body
    assert 'data-testid="override-edit"' not in body  # a manager does not override
    assert client_for(head).get(cp.get_absolute_url()).content.decode().count('data-testid="override-edit"') == 1


def test_card_panel_shows_the_computed_value_beside_the_override(run, manager, head, client_for):
    cp = CounterpartyFactory(main_manager=manager)
    classify(run, cp, "B", "regular", "", computed=("C", "regular", ""))
    ClassOverrideFactory(counterparty=cp, abc="B", reason="Стратегический клиент", set_by=head)
    body = client_for(manager).get(cp.get_absolute_url()).content.decode()
    assert 'data-testid="computed-abc"' in body and "computed: C" in body
    assert "Override by" in body and "Стратегический клиент" in body


def test_card_without_analysis_shows_no_panel_to_a_manager(manager, client_for):
    cp = CounterpartyFactory(main_manager=manager)
    assert 'card-classification' not in client_for(manager).get(cp.get_absolute_url()).content.decode()
