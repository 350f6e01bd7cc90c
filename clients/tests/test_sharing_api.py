"""Writable sharing through the API (issue 13, item 8), with the card form's rule: heads of sales,
company heads and administrators share; a sales manager does not, and never learns of clients
they cannot see."""

import pytest

from clients.models import Counterparty
from clients.tests.factories import CounterpartyFactory
from core import history
from core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CP = "/api/counterparties/"


@pytest.fixture
def own(manager):
    return CounterpartyFactory(main_manager=manager)


@pytest.mark.parametrize("persona", ["admin_user", "head", "sales_head"])
def test_heads_share_and_unshare(api, request, persona, own, teammate):
    client = api(request.getfixturevalue(persona))
    resp = client.post(f"{CP}{own.pk}/share/", {"user": teammate.pk}, format="json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["shared_with"] == [teammate.pk]
    assert api(teammate).get(f"{CP}{own.pk}/").status_code == 200
    resp = client.post(f"{CP}{own.pk}/unshare/", {"user": teammate.pk}, format="json")
    assert resp.status_code == 200 and resp.json()["shared_with"] == []
    assert api(teammate).get(f"{CP}{own.pk}/").status_code == 404


def test_share_is_idempotent_and_recorded_once(api, head, own, teammate):
    client = api(head)
    client.post(f"{CP}{own.pk}/share/", {"user": teammate.pk}, format="json")
    own.refresh_from_db()
    records, version = Counterparty.history.filter(id=own.pk).count(), own.version
    again = client.post(f"{CP}{own.pk}/share/", {"user": teammate.pk}, format="json")
    assert again.status_code == 200 and again.json()["version"] == version
    assert Counterparty.history.filter(id=own.pk).count() == records
    assert client.post(f"{CP}{own.pk}/unshare/", {"user": UserFactory().pk}, format="json").status_code == 200


def test_share_moves_the_version_and_shows_in_the_history(api, head, own, teammate):
    client = api(head)
    version = own.version
    resp = client.post(f"{CP}{own.pk}/share/", {"user": teammate.pk}, format="json")
    assert resp.json()["version"] == version + 1  # a form opened before cannot silently undo it
    entries = client.get(f"{CP}{own.pk}/history/").json()
    shared = [c for c in entries[0]["changes"] if c["field"] == "shared with"]
    assert entries[0]["who"] == str(head)
    assert shared == [{"field": "shared with", "old": "—", "new": str(teammate), "added": [str(teammate)],
                       "removed": []}]
    client.post(f"{CP}{own.pk}/unshare/", {"user": teammate.pk}, format="json")
    removed = history.entries(list(Counterparty.history.filter(id=own.pk)))[0]["changes"]
    assert [(c["added"], c["removed"]) for c in removed if c["field"] == "shared with"] == [([], [str(teammate)])]


def test_manager_may_not_share_own_client(api, manager, own, teammate):
    client = api(manager)
    resp = client.post(f"{CP}{own.pk}/share/", {"user": teammate.pk}, format="json")
    assert resp.status_code == 403
    assert not own.shared_with.exists()


def test_hidden_client_is_404_not_403(api, manager, teammate):
    theirs = CounterpartyFactory(main_manager=teammate)
    for route in ("share", "unshare"):
        resp = api(manager).post(f"{CP}{theirs.pk}/{route}/", {"user": manager.pk}, format="json")
        assert resp.status_code == 404
    resp = api(manager).patch(f"{CP}{theirs.pk}/", {"shared_with": [manager.pk], "version": 1}, format="json")
    assert resp.status_code == 404
    assert not theirs.shared_with.exists()


@pytest.mark.parametrize("persona", ["quality", "service", "marketer"])
def test_other_roles_may_not_share(api, request, persona, own, teammate):
    resp = api(request.getfixturevalue(persona)).post(f"{CP}{own.pk}/share/", {"user": teammate.pk}, format="json")
    assert resp.status_code == 403


@pytest.mark.parametrize("body", [{}, {"user": 999999}, {"user": "x"}, {"user": 2**70}])
def test_bad_user_is_a_400_naming_it(api, head, own, body):
    resp = api(head).post(f"{CP}{own.pk}/share/", body, format="json")
    assert resp.status_code == 400 and "user" in resp.json()


def test_inactive_user_cannot_be_shared_with(api, head, own):
    gone = UserFactory(is_active=False)
    resp = api(head).post(f"{CP}{own.pk}/share/", {"user": gone.pk}, format="json")
    assert resp.status_code == 400 and "user" in resp.json()


def test_patch_shared_with_as_head(api, head, own, teammate):
    other = UserFactory()
    resp = api(head).patch(f"{CP}{own.pk}/", {"shared_with": [teammate.pk, other.pk], "version": own.version},
                           format="json")
    assert resp.status_code == 200, resp.content
    assert set(own.shared_with.values_list("pk", flat=True)) == {teammate.pk, other.pk}
    latest = history.entries(list(Counterparty.history.filter(id=own.pk)))[0]
    assert [c["field"] for c in latest["changes"]] == ["shared with"]


def test_patch_shared_with_as_manager_is_400_naming_it(api, manager, own, teammate):
    client = api(manager)
    resp = client.patch(f"{CP}{own.pk}/", {"shared_with": [teammate.pk], "version": own.version}, format="json")
    assert resp.status_code == 400 and "shared_with" in resp.json()
    # Sending the set back unchanged (a PUT of what GET gave) is not refused.
    resp = client.patch(f"{CP}{own.pk}/", {"shared_with": [], "city": "Тула", "version": own.version},
                        format="json")
    assert resp.status_code == 200, resp.content
    resp = client.post(CP, {"name": "ООО Новое", "shared_with": [teammate.pk]}, format="json")
    assert resp.status_code == 400 and "shared_with" in resp.json()


def test_stale_version_on_patch_is_409(api, head, own, teammate):
    client = api(head)
    client.post(f"{CP}{own.pk}/share/", {"user": teammate.pk}, format="json")
    resp = client.patch(f"{CP}{own.pk}/", {"shared_with": [], "version": own.version}, format="json")
    assert resp.status_code == 409
    assert list(own.shared_with.all()) == [teammate]
