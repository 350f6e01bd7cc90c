"""The generic API layer: token auth, users, schema, permissions, pagination, errors."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from clients.models import Region
from core.access import Role
from core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "/api/auth/token/"
PASSWORD = "Secret-pass-123"  # core.tests.factories.UserFactory


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()  # the login throttle counts in the cache, which outlives a test
    yield
    cache.clear()


# --- token ------------------------------------------------------------------------------------

def test_token_obtain_and_use(manager):
    client = APIClient()
    resp = client.post(TOKEN, {"username": manager.username, "password": PASSWORD}, format="json")
    assert resp.status_code == 200
    token = resp.json()["token"]
    assert client.post(TOKEN, {"username": manager.username, "password": PASSWORD}).json()["token"] == token
    assert client.get("/api/users/me/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/users/me/").json()
    assert (me["id"], me["username"], me["role"]) == (manager.pk, manager.username, Role.SALES_MANAGER)


def test_token_wrong_password_is_400(manager):
    resp = APIClient().post(TOKEN, {"username": manager.username, "password": "wrong"}, format="json")
    assert resp.status_code == 400
    assert "token" not in resp.json()
    assert APIClient().post(TOKEN, {"username": manager.username}, format="json").status_code == 400


def test_token_lockout_after_failures(manager, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = APIClient()
    for _ in range(3):
        client.post(TOKEN, {"username": manager.username, "password": "wrong"}, format="json")
    resp = client.post(TOKEN, {"username": manager.username, "password": PASSWORD}, format="json")
    assert resp.status_code == 429
    assert b"token" not in resp.content


def test_token_endpoint_is_throttled(manager):
    from core.api.views import LoginThrottle

    rate, _period = LoginThrottle().parse_rate(LoginThrottle().get_rate())
    client = APIClient()
    codes = [client.post(TOKEN, {"username": manager.username, "password": PASSWORD}).status_code
             for _ in range(rate + 1)]
    assert codes == [200] * rate + [429]


def test_inactive_user_gets_no_token(manager):
    manager.is_active = False
    manager.save()
    resp = APIClient().post(TOKEN, {"username": manager.username, "password": PASSWORD}, format="json")
    assert resp.status_code == 400


# --- users ------------------------------------------------------------------------------------

def test_users_are_read_only_and_active_only(api, manager, admin_user):
    gone = UserFactory(username="gone", is_active=False)
    client = api(admin_user)
    listed = {row["id"] for row in client.get("/api/users/").json()["results"]}
    assert manager.pk in listed and gone.pk not in listed
    row = client.get(f"/api/users/{manager.pk}/").json()
    assert set(row) >= {"id", "username", "full_name", "role"}
    assert "password" not in row and "is_superuser" not in row
    assert client.patch(f"/api/users/{manager.pk}/", {"role": Role.ADMIN}, format="json").status_code == 405
    assert client.post("/api/users/", {"username": "x"}, format="json").status_code == 405
    assert client.get("/api/users/", {"role": Role.SALES_MANAGER}).json()["results"][0]["id"] == manager.pk


# --- schema and docs --------------------------------------------------------------------------

def test_schema_and_docs(api, manager):
    resp = api(manager).get("/api/schema/")
    assert resp.status_code == 200
    assert b"/api/counterparties/{id}/restore/" in resp.content
    resp = api(manager).get("/api/docs/")
    assert resp.status_code == 200
    assert b"<script>" not in resp.content  # the split view: no inline script under the CSP


def test_schema_generates_without_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache


# --- generic CRUD behaviour on a settings list -------------------------------------------------

def test_settings_list_crud_history_and_trash(api, admin_user, manager):
    client = api(admin_user)
    resp = client.post("/api/regions/", {"name": "Север"}, format="json")
    assert resp.status_code == 201
    region = resp.json()
    url = f"/api/regions/{region['id']}/"
    assert region["version"] == 1
    assert client.patch(url, {"name": "Юг", "version": 1}, format="json").json()["version"] == 2
    resp = client.patch(url, {"name": "Запад", "version": 1}, format="json")
    assert resp.status_code == 409
    assert resp.json()["current"]["name"] == "Юг"
    assert api(manager).patch(url, {"name": "X", "version": 2}, format="json").status_code == 403
    assert api(manager).delete(url).status_code == 403
    assert client.delete(url).status_code == 204
    assert Region.all_objects.get(pk=region["id"]).is_deleted
    assert client.post(f"{url}restore/").status_code == 200
    history = client.get(f"{url}history/").json()
    assert [e["action"] for e in history] == ["restore", "del", "~", "+"]
    assert history[2]["changes"] == [{"field": "name", "old": "Север", "new": "Юг"}]
    assert {e["who"] for e in history} == {str(admin_user)}


def test_version_in_body_on_create_is_ignored(api, admin_user):
    resp = api(admin_user).post("/api/regions/", {"name": "Восток", "version": 7}, format="json")
    assert resp.json()["version"] == 1


def test_non_numeric_id_and_bad_cursor_are_not_500(api, admin_user):
    client = api(admin_user)
    assert client.get("/api/regions/abc/").status_code == 404
    assert client.get("/api/regions/", {"cursor": "n:garbage"}).status_code == 200
    assert client.get("/api/regions/", {"cursor": "n:WyJ4Il0"}).status_code == 404  # ["x"] as id
    assert client.get("/api/regions/", {"page_size": "lots"}).status_code == 200


def test_cursor_pagination_walks_both_ways(api, admin_user):
    for i in range(7):
        Region.objects.create(name=f"R{i}")
    client = api(admin_user)
    body = client.get("/api/regions/", {"page_size": 3}).json()
    assert body["previous"] is None and "count" not in body
    first = [r["id"] for r in body["results"]]
    second = client.get(body["next"]).json()
    third = client.get(second["next"]).json()
    assert third["next"] is None
    assert len(first + [r["id"] for r in second["results"] + third["results"]]) == 7
    assert [r["id"] for r in client.get(second["previous"]).json()["results"]] == first
