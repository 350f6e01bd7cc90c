"""API: /api/classifications/ (read-only) and /api/class-overrides/ (heads write)."""

import pytest

from analytics.models import Classification, ClassOverride
from analytics.services import overrides
from analytics.tests.factories import (
    AnalysisRunFactory,
    ClassificationFactory,
    ClassOverrideFactory,
    ClientAnalysisFactory,
)
from clients.tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db
CLASSES, OVERRIDES = "/api/classifications/", "/api/class-overrides/"


@pytest.fixture
def run():
    return AnalysisRunFactory()


def classify(run, cp, abc, stage, xyz="", computed=None, prev=("B", "regular", "")):
    comp = computed or (abc, stage, xyz)
    ClientAnalysisFactory(run=run, counterparty=cp, abc=comp[0], stage=comp[1], xyz=comp[2],
                          abc_effective=abc, stage_effective=stage, xyz_effective=xyz)
    return ClassificationFactory(counterparty=cp, abc=abc, stage=stage, xyz=xyz, abc_prev=prev[0],
                                 stage_prev=prev[1], xyz_prev=prev[2])


@pytest.fixture
def mine(run, manager):
    cp = CounterpartyFactory(name="Мой", main_manager=manager)
    classify(run, cp, "A", "regular", "X", computed=("C", "regular", "X"))
    return cp


@pytest.fixture
def theirs(run, teammate):
    cp = CounterpartyFactory(name="Чужой", main_manager=teammate)
    classify(run, cp, "C", "lost", prev=("A", "regular", "Y"))
    return cp


def test_classifications_are_restricted_and_filterable(mine, theirs, manager, head, api, run):
    rows = api(manager).get(CLASSES).json()["results"]
    assert [r["id"] for r in rows] == [mine.pk]
    row = rows[0]
    assert (row["abc"], row["abc_computed"], row["abc_prev"], row["abc_trend"]) == ("A", "C", "B", "up")
    assert (row["stage"], row["stage_trend"], row["run"], row["main_manager"]) == ("regular", "same", run.pk,
                                                                                    manager.pk)
    assert api(manager).get(f"{CLASSES}{theirs.pk}/").status_code == 404
    c = api(head)
    assert [r["id"] for r in c.get(CLASSES, {"abc": "C"}).json()["results"]] == [theirs.pk]
    assert [r["id"] for r in c.get(CLASSES, {"stage": "lost"}).json()["results"]] == [theirs.pk]
    assert [r["id"] for r in c.get(CLASSES, {"xyz": "X"}).json()["results"]] == [mine.pk]
    assert [r["id"] for r in c.get(CLASSES, {"main_manager": manager.pk}).json()["results"]] == [mine.pk]
    resp = c.get(CLASSES, {"abc": "Q"})
    assert resp.status_code == 400 and "abc" in resp.json()
    assert c.post(CLASSES, {}, format="json").status_code == 405


def test_classification_list_query_count_is_bounded(run, manager, api, django_assert_max_num_queries):
    for _ in range(30):
        classify(run, CounterpartyFactory(main_manager=manager), "B", "one_time")
    with django_assert_max_num_queries(6):
        assert len(api(manager).get(CLASSES, {"page_size": 50}).json()["results"]) == 30


def test_head_creates_changes_deletes_and_restores(mine, head, api):
    c = api(head)
    resp = c.post(OVERRIDES, {"counterparty": mine.pk, "abc": "B", "reason": "Пересмотрено"}, format="json")
    assert resp.status_code == 201, resp.content
    pk = resp.json()["id"]
    assert resp.json()["set_by"] == head.pk
    assert Classification.objects.get(counterparty=mine).abc == "B"

    resp = c.patch(f"{OVERRIDES}{pk}/", {"stage": "lost", "version": 1}, format="json")
    assert resp.status_code == 200, resp.content
    assert (Classification.objects.get(counterparty=mine).stage, resp.json()["version"]) == ("lost", 2)
    assert c.patch(f"{OVERRIDES}{pk}/", {"abc": "A", "version": 1}, format="json").status_code == 409

    assert c.delete(f"{OVERRIDES}{pk}/").status_code == 204
    cl = Classification.objects.get(counterparty=mine)
    assert (cl.abc, cl.stage, cl.overridden) == ("C", "regular", False)  # the computed values again

    assert c.post(f"{OVERRIDES}{pk}/restore/").status_code == 200
    cl = Classification.objects.get(counterparty=mine)
    assert (cl.abc, cl.stage, cl.overridden) == ("B", "lost", True)

    history = c.get(f"{OVERRIDES}{pk}/history/").json()
    assert len(history) == 4 and history[0]["who"]


@pytest.mark.parametrize(("body", "field"), [
    ({"reason": "без класса"}, "abc"),
    ({"abc": "A"}, "reason"),
    ({"abc": "A", "reason": "  "}, "reason"),
    ({"abc": "Q", "reason": "x"}, "abc"),
    ({"stage": "vip", "reason": "x"}, "stage"),
    ({"abc": "A", "reason": "x", "counterparty": 2**70}, "counterparty"),
])
def test_invalid_input_is_400_naming_the_field(mine, head, api, body, field):
    body = {"counterparty": mine.pk, **body}
    resp = api(head).post(OVERRIDES, body, format="json")
    assert resp.status_code == 400 and field in resp.json(), resp.content


def test_one_live_override_per_client(mine, head, api):
    ClassOverrideFactory(counterparty=mine)
    resp = api(head).post(OVERRIDES, {"counterparty": mine.pk, "abc": "B", "reason": "ещё"}, format="json")
    assert resp.status_code == 400 and "counterparty" in resp.json()
    # Restoring a trashed one while another is live: a 400, not an IntegrityError.
    live = ClassOverride.objects.get(counterparty=mine)
    old = ClassOverrideFactory(counterparty=CounterpartyFactory())
    old.delete()
    ClassOverride.all_objects.filter(pk=old.pk).update(counterparty=mine)
    assert api(head).post(f"{OVERRIDES}{old.pk}/restore/").status_code == 400
    assert ClassOverride.objects.get(counterparty=mine) == live


def test_a_manager_reads_but_may_not_write(mine, theirs, manager, head, api):
    override = overrides.set_override(mine, head, abc="B", reason="Решение руководителя")
    c = api(manager)
    assert [r["id"] for r in c.get(OVERRIDES).json()["results"]] == [override.pk]
    assert c.post(OVERRIDES, {"counterparty": mine.pk, "abc": "A", "reason": "x"}, format="json").status_code == 403
    assert c.patch(f"{OVERRIDES}{override.pk}/", {"abc": "A", "version": 1}, format="json").status_code == 403
    assert c.delete(f"{OVERRIDES}{override.pk}/").status_code == 403
    assert ClassOverride.objects.get(pk=override.pk).abc == "B"


def test_head_cannot_point_an_override_at_another_client(mine, theirs, head, api):
    override = overrides.set_override(mine, head, abc="B", reason="x")
    resp = api(head).patch(f"{OVERRIDES}{override.pk}/", {"counterparty": theirs.pk, "version": 1}, format="json")
    assert resp.status_code == 400 and "counterparty" in resp.json()
