"""``/api/saved-filters/`` (issue 13, item 8): one's own and shared filters, the owner alone changes
them, targets are the lists and reports that save filters, queries are checked like the page reads them."""

import pytest

from core.models import SavedFilter

pytestmark = pytest.mark.django_db

URL = "/api/saved-filters/"
LIST = "clients.counterparty"
REPORT = "report:funnel"
PERIOD = "date_from=2025-01-01&date_to=2025-03-31"


def names(resp):
    assert resp.status_code == 200, resp.content
    return [row["name"] for row in resp.json()["results"]]


def saved(user, name, target=LIST, query="q=ромашка", shared=False):
    return SavedFilter.objects.create(user=user, target=target, name=name, query=query, shared=shared)


def test_lists_own_and_shared_by_name(api, manager, teammate):
    saved(manager, "Мои")
    saved(teammate, "Общие", shared=True)
    saved(teammate, "Личные чужие")
    assert names(api(manager).get(URL)) == ["Мои", "Общие"]
    rows = api(manager).get(URL).json()["results"]
    assert [(r["mine"], r["user"]) for r in rows] == [(True, manager.pk), (False, teammate.pk)]
    assert names(api(manager).get(URL, {"mine": "true"})) == ["Мои"]
    assert names(api(manager).get(URL, {"target": REPORT})) == []


def test_create_for_a_list_and_a_report(api, manager):
    client = api(manager)
    resp = client.post(URL, {"target": LIST, "name": "Ромашки", "query": "?q=ромашка&kind=legal"}, format="json")
    assert resp.status_code == 201, resp.content
    row = SavedFilter.objects.get(pk=resp.json()["id"])
    assert (row.user, row.query, row.shared) == (manager, "q=ромашка&kind=legal", False)
    resp = client.post(URL, {"target": REPORT, "name": "I квартал", "query": PERIOD, "shared": True}, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["shared"] is True


@pytest.mark.parametrize("persona", ["quality", "service", "marketer"])
def test_every_role_saves_and_shares_as_on_the_pages(api, request, persona):
    resp = api(request.getfixturevalue(persona)).post(
        URL, {"target": REPORT, "name": "Вариант", "query": PERIOD, "shared": True}, format="json")
    assert resp.status_code == 201, resp.content


@pytest.mark.parametrize(("body", "field"), [
    ({"target": "clients.nothing", "name": "x"}, "target"),
    ({"target": "report:nothing", "name": "x"}, "target"),
    ({"target": LIST, "name": "   "}, "name"),
    ({"target": LIST}, "name"),
    ({"target": LIST, "name": "x" * 101}, "name"),
    ({"target": LIST, "name": "x", "query": "unknown_field=1"}, "query"),
    ({"target": LIST, "name": "x", "query": "created_after=not-a-date"}, "query"),
    ({"target": LIST, "name": "x", "query": f"main_manager={2**70}"}, "query"),
    ({"target": LIST, "name": "x", "query": "relationship_type=abc"}, "query"),
    ({"target": REPORT, "name": "x", "query": "date_from=31.31.2025"}, "query"),
    ({"target": REPORT, "name": "x", "query": "date_from=2025-03-01&date_to=2025-01-01"}, "query"),
    ({"target": REPORT, "name": "x", "query": "q=1"}, "query"),
])
def test_invalid_input_is_a_400_naming_the_field(api, manager, body, field):
    resp = api(manager).post(URL, body, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()
    assert not SavedFilter.objects.exists()


def test_unknown_filter_is_named_in_the_message(api, manager):
    resp = api(manager).post(URL, {"target": LIST, "name": "x", "query": "colour=red"}, format="json")
    assert any("colour" in message for message in resp.json()["query"])


def test_same_name_twice_is_a_400(api, manager):
    saved(manager, "Мои")
    resp = api(manager).post(URL, {"target": LIST, "name": "Мои"}, format="json")
    assert resp.status_code == 400 and "name" in resp.json()


def test_owner_changes_and_deletes(api, manager):
    mine = saved(manager, "Мои")
    client = api(manager)
    resp = client.patch(f"{URL}{mine.pk}/", {"name": "Переименован", "query": "q=тюльпан"}, format="json")
    assert resp.status_code == 200, resp.content
    mine.refresh_from_db()
    assert (mine.name, mine.query) == ("Переименован", "q=тюльпан")
    assert client.patch(f"{URL}{mine.pk}/", {"query": "bogus=1"}, format="json").status_code == 400
    assert client.delete(f"{URL}{mine.pk}/").status_code == 204
    assert not SavedFilter.objects.filter(pk=mine.pk).exists()


def test_others_filters_403_when_shared_and_404_when_private(api, manager, teammate, admin_user):
    shared = saved(teammate, "Общие", shared=True)
    private = saved(teammate, "Личные")
    for user in (manager, admin_user):
        client = api(user)
        assert client.get(f"{URL}{shared.pk}/").status_code == 200
        assert client.patch(f"{URL}{shared.pk}/", {"name": "Моё"}, format="json").status_code == 403
        assert client.delete(f"{URL}{shared.pk}/").status_code == 403
        assert client.get(f"{URL}{private.pk}/").status_code == 404
        assert client.delete(f"{URL}{private.pk}/").status_code == 404
    assert SavedFilter.objects.count() == 2 and SavedFilter.objects.get(pk=shared.pk).name == "Общие"


def test_anonymous_is_401(api):
    assert api().get(URL).status_code == 401
