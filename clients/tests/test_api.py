"""REST API of the client base: access per role, validation as in the UI, locking, history."""

import pytest
from rest_framework.test import APIClient

from clients.models import ContactPerson, Counterparty, CounterpartyShare
from clients.tests.factories import (
    ContactInfoFactory,
    ContactPersonFactory,
    CounterpartyFactory,
    GroupFactory,
    valid_inn,
)
from core.tests.factories import CustomPropertyFactory

pytestmark = pytest.mark.django_db

CP = "/api/counterparties/"
PERSONS = "/api/contact-persons/"
INFO = "/api/contact-info/"


@pytest.fixture
def own(manager):
    """A counterparty of ``manager`` with a contact person and a phone."""
    cp = CounterpartyFactory(main_manager=manager, name="ООО Ромашка")
    ContactInfoFactory(counterparty=cp, value="+79035236645")
    ContactPersonFactory(counterparty=cp, last_name="Петров")
    return cp


def ids(resp):
    assert resp.status_code == 200, resp.content
    return {row["id"] for row in resp.json()["results"]}


# --- access matrix ----------------------------------------------------------------------------

def test_manager_lists_only_own_and_shared(api, manager, teammate, own):
    other = CounterpartyFactory(main_manager=teammate)
    shared = CounterpartyFactory(main_manager=teammate)
    CounterpartyShare.objects.create(counterparty=shared, user=manager)
    assert ids(api(manager).get(CP)) == {own.pk, shared.pk}
    assert ids(api(teammate).get(CP)) == {other.pk, shared.pk}
    assert api(manager).get(f"{CP}{other.pk}/").status_code == 404
    persons = ids(api(teammate).get(PERSONS))
    assert own.contact_persons.get().pk not in persons


@pytest.mark.parametrize("persona", ["admin_user", "head", "sales_head", "marketer", "quality", "service"])
def test_wide_roles_see_everything(api, request, persona, own, teammate):
    other = CounterpartyFactory(main_manager=teammate)
    client = api(request.getfixturevalue(persona))
    assert ids(client.get(CP)) == {own.pk, other.pk}
    assert client.get(f"{CP}{own.pk}/").status_code == 200
    assert len(ids(client.get(PERSONS))) == 1


def test_teammate_gets_404_on_every_route(api, teammate, own):
    client = api(teammate)
    person = own.contact_persons.get()
    info = own.contact_info.get()
    for url in (f"{CP}{own.pk}/", f"{PERSONS}{person.pk}/", f"{INFO}{info.pk}/"):
        assert client.get(url).status_code == 404
        assert client.patch(url, {"notes": "x", "version": 1}, format="json").status_code == 404
        assert client.delete(url).status_code == 404
        assert client.get(f"{url}history/").status_code == 404
    assert client.post(f"{CP}{own.pk}/restore/").status_code == 404
    assert Counterparty.objects.filter(pk=own.pk).exists()


@pytest.mark.parametrize(
    ("persona", "create", "change", "delete"),
    [
        ("admin_user", 201, 200, 204),
        ("head", 201, 200, 204),
        ("sales_head", 201, 200, 204),
        ("manager", 201, 200, 204),
        ("marketer", 201, 200, 403),
        ("quality", 403, 403, 403),
        ("service", 403, 403, 403),
    ],
)
def test_write_matrix(api, request, manager, persona, create, change, delete):
    user = request.getfixturevalue(persona)
    client = api(user)
    cp = CounterpartyFactory(main_manager=manager)
    person = ContactPersonFactory(counterparty=cp)

    resp = client.post(CP, {"name": "ООО Новый", "tax_id": valid_inn(901)}, format="json")
    assert resp.status_code == create, resp.content
    resp = client.post(PERSONS, {"counterparty": cp.pk, "last_name": "Сидоров"}, format="json")
    assert resp.status_code == create, resp.content

    resp = client.patch(f"{CP}{cp.pk}/", {"city": "Тула", "version": cp.version}, format="json")
    assert resp.status_code == change, resp.content
    resp = client.patch(f"{PERSONS}{person.pk}/", {"position": "CEO", "version": 1}, format="json")
    assert resp.status_code == change, resp.content

    assert client.delete(f"{PERSONS}{person.pk}/").status_code == delete
    assert client.delete(f"{CP}{cp.pk}/").status_code == delete
    assert Counterparty.all_objects.filter(pk=cp.pk).exists()  # soft delete at most


def test_anonymous_is_refused(own):
    resp = APIClient().get(CP)
    assert resp.status_code == 401


# --- related objects and ownership ----------------------------------------------------------

def test_manager_cannot_attach_to_foreign_counterparty(api, manager, teammate):
    foreign = CounterpartyFactory(main_manager=teammate)
    client = api(manager)
    resp = client.post(PERSONS, {"counterparty": foreign.pk, "last_name": "Шпион"}, format="json")
    assert resp.status_code == 400
    assert "counterparty" in resp.json()
    resp = client.post(INFO, {"counterparty": foreign.pk, "kind": "email", "value": "a@b.ru"}, format="json")
    assert resp.status_code == 400
    assert "counterparty" in resp.json()
    assert not ContactPerson.objects.filter(counterparty=foreign).exists()


def test_contact_person_must_belong_to_counterparty(api, manager, own):
    other = CounterpartyFactory(main_manager=manager)
    person = own.contact_persons.get()
    resp = api(manager).post(INFO, {"counterparty": other.pk, "contact_person": person.pk,
                                    "kind": "email", "value": "p@x.ru"}, format="json")
    assert resp.status_code == 400
    assert "contact_person" in resp.json()


def test_sales_manager_owns_what_they_create(api, manager):
    resp = api(manager).post(CP, {"name": "ООО Моё"}, format="json")
    assert resp.status_code == 201
    assert resp.json()["main_manager"] == manager.pk


def test_sales_manager_cannot_assign_main_manager(api, manager, teammate, own):
    client = api(manager)
    resp = client.post(CP, {"name": "ООО Чужое", "main_manager": teammate.pk}, format="json")
    assert resp.status_code == 400
    assert "main_manager" in resp.json()
    resp = client.patch(f"{CP}{own.pk}/", {"main_manager": teammate.pk, "version": own.version},
                        format="json")
    assert resp.status_code == 400
    assert "main_manager" in resp.json()
    own.refresh_from_db()
    assert own.main_manager == manager
    # Sending the unchanged value back (a PUT of what was read) is fine.
    resp = client.patch(f"{CP}{own.pk}/", {"main_manager": manager.pk, "version": own.version},
                        format="json")
    assert resp.status_code == 200


def test_head_of_sales_reassigns(api, sales_head, teammate, own):
    resp = api(sales_head).patch(f"{CP}{own.pk}/", {"main_manager": teammate.pk, "version": own.version},
                                 format="json")
    assert resp.status_code == 200
    own.refresh_from_db()
    assert own.main_manager == teammate


def test_reference_lists_are_admin_only_for_writes(api, manager, admin_user):
    group = GroupFactory()
    assert api(manager).get(f"/api/counterparty-groups/{group.pk}/").status_code == 200
    assert api(manager).post("/api/regions/", {"name": "Север"}, format="json").status_code == 403
    assert api(manager).post("/api/custom-properties/", {"name": "X", "code": "x"},
                             format="json").status_code == 403
    assert api(admin_user).post("/api/regions/", {"name": "Север"}, format="json").status_code == 201


# --- validation identical to the UI -----------------------------------------------------------

@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [
        (CP, {"name": "ООО", "tax_id": "7707083894"}, "tax_id"),
        (CP, {"name": "ООО", "kpp": "12"}, "kpp"),
        (CP, {"name": "ООО", "ogrn": "1027700132196"}, "ogrn"),
        (CP, {"name": "ООО", "okpo": "12345679"}, "okpo"),
        (CP, {"name": ""}, "name"),
        (INFO, {"kind": "phone", "value": "12"}, "value"),
        (INFO, {"kind": "email", "value": "not-an-email"}, "value"),
        (INFO, {"kind": "fax"}, "value"),
    ],
)
def test_invalid_input_is_400_naming_the_field(api, manager, own, url, payload, field):
    if url == INFO:
        payload = {**payload, "counterparty": own.pk}
    resp = api(manager).post(url, payload, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()


def test_values_are_normalised_like_the_form(api, manager, own):
    client = api(manager)
    resp = client.post(INFO, {"counterparty": own.pk, "kind": "mobile", "value": "8 (903) 523-66-46"},
                       format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["value"] == "+79035236646"
    assert resp.json()["display_value"] == "+7 903 523-66-46"
    resp = client.post(INFO, {"counterparty": own.pk, "kind": "email", "value": "Ann@Example.COM"},
                       format="json")
    assert resp.json()["value"] == "Ann@example.com"
    # Quick search sees the new phone (search text is refreshed on save).
    assert ids(client.get(CP, {"q": "903 523 66 46"})) == {own.pk}


def test_custom_properties(api, manager, own):
    CustomPropertyFactory(code="size", kind="number")
    CustomPropertyFactory(code="tier", kind="choice", choices=["gold", "silver"])
    CustomPropertyFactory(code="vip", kind="boolean")
    client = api(manager)
    url = f"{CP}{own.pk}/"

    def patch(props):
        own.refresh_from_db()
        return client.patch(url, {"properties": props, "version": own.version}, format="json")

    for bad in ({"nope": 1}, {"size": "many"}, {"size": True}, {"tier": "bronze"}, {"vip": "yes"}):
        resp = patch(bad)
        assert resp.status_code == 400, bad
        assert list(resp.json()["properties"]) == list(bad)
    assert patch({"size": "12.5", "tier": "gold", "vip": False}).status_code == 200
    assert patch({"size": 3}).status_code == 200  # merged: other values stay
    own.refresh_from_db()
    assert own.properties == {"size": 3, "tier": "gold", "vip": False}
    assert patch({"tier": None}).status_code == 200
    own.refresh_from_db()
    assert "tier" not in own.properties
    # The list filters on properties exactly as the HTML list does.
    CounterpartyFactory(main_manager=manager, properties={"size": 100})
    assert ids(client.get(CP, {"prop_size_max": 5})) == {own.pk}
    assert ids(client.get(CP, {"prop_vip": "false"})) == {own.pk}


def test_required_property_on_create(api, manager):
    CustomPropertyFactory(code="source", kind="text", required=True)
    resp = api(manager).post(CP, {"name": "ООО Без источника"}, format="json")
    assert resp.status_code == 400
    assert "source" in resp.json()["properties"]
    resp = api(manager).post(CP, {"name": "ООО С источником", "properties": {"source": "сайт"}},
                             format="json")
    assert resp.status_code == 201


# --- optimistic locking -----------------------------------------------------------------------

def test_update_requires_version(api, manager, own):
    resp = api(manager).patch(f"{CP}{own.pk}/", {"city": "Тула"}, format="json")
    assert resp.status_code == 400
    assert "version" in resp.json()


def test_stale_version_is_409_and_nothing_is_overwritten(api, manager, sales_head, own):
    base = own.version
    assert api(sales_head).patch(f"{CP}{own.pk}/", {"city": "Тула", "version": base},
                                 format="json").status_code == 200
    resp = api(manager).put(f"{CP}{own.pk}/", {"name": "Переименовано", "city": "Омск", "version": base},
                            format="json")
    assert resp.status_code == 409
    body = resp.json()
    assert body["current"]["city"] == "Тула"
    assert body["current"]["version"] == base + 1
    own.refresh_from_db()
    assert (own.name, own.city) == ("ООО Ромашка", "Тула")


def test_if_match_header_and_etag(api, manager, own):
    client = api(manager)
    resp = client.get(f"{CP}{own.pk}/")
    etag = resp["ETag"]
    assert etag == f'"{own.version}"'
    resp = client.patch(f"{CP}{own.pk}/", {"city": "Тула"}, format="json", HTTP_IF_MATCH=etag)
    assert resp.status_code == 200
    assert resp["ETag"] == f'"{own.version + 1}"'
    resp = client.patch(f"{CP}{own.pk}/", {"city": "Омск"}, format="json", HTTP_IF_MATCH=etag)
    assert resp.status_code == 409


# --- history, trash ---------------------------------------------------------------------------

def test_history_is_recorded_with_the_token_user(manager, own):
    from rest_framework.authtoken.models import Token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=manager).key}")
    resp = client.patch(f"{CP}{own.pk}/", {"city": "Тула", "version": own.version}, format="json")
    assert resp.status_code == 200
    assert own.history.latest().history_user == manager
    entries = client.get(f"{CP}{own.pk}/history/").json()
    assert entries[0]["who"] == str(manager)
    assert {"field": "city", "old": "—", "new": "Тула"} in entries[0]["changes"]
    # The card's history also lists its contact persons and contact information.
    assert any(e["object"].startswith("contact person") for e in entries)


def test_soft_delete_and_restore(api, manager, teammate, own):
    client = api(manager)
    assert client.delete(f"{CP}{own.pk}/").status_code == 204
    assert client.get(f"{CP}{own.pk}/").status_code == 404
    assert ids(client.get(PERSONS)) == set()  # persons of a trashed client are hidden too
    assert Counterparty.all_objects.get(pk=own.pk).deleted_at is not None
    assert api(teammate).post(f"{CP}{own.pk}/restore/").status_code == 404
    resp = client.post(f"{CP}{own.pk}/restore/")
    assert resp.status_code == 200
    assert client.get(f"{CP}{own.pk}/").status_code == 200
    assert client.post(f"{CP}{own.pk}/restore/").status_code == 404  # not in the trash any more
    actions = [e["action"] for e in client.get(f"{CP}{own.pk}/history/").json()]
    assert actions[:2] == ["restore", "del"]
    assert own.history.latest().history_user == manager


# --- representation and query counts -----------------------------------------------------------

def test_counterparty_nests_own_contact_info(api, manager, own):
    person = own.contact_persons.get()
    ContactInfoFactory(counterparty=own, contact_person=person, kind="email", value="p@x.ru")
    row = api(manager).get(CP).json()["results"][0]
    assert [(i["kind"], i["value"], i["display_value"]) for i in row["contact_info"]] == [
        ("phone", "+79035236645", "+7 903 523-66-45")]
    person_row = api(manager).get(f"{PERSONS}{person.pk}/").json()
    assert [i["value"] for i in person_row["contact_info"]] == ["p@x.ru"]


@pytest.mark.parametrize(("url", "per_client"), [(CP, 1), (PERSONS, 1), (INFO, 2)])
def test_list_query_count_does_not_grow(api, manager, django_assert_max_num_queries, url, per_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    CustomPropertyFactory(code="size", kind="number")
    client = api(manager)

    def make(n):
        for _ in range(n):
            cp = CounterpartyFactory(main_manager=manager)
            ContactInfoFactory(counterparty=cp)
            person = ContactPersonFactory(counterparty=cp)
            ContactInfoFactory(counterparty=cp, contact_person=person, kind="email", value="a@b.ru")
            CounterpartyShare.objects.create(counterparty=cp, user=manager)

    counts, total = [], 0
    for n in (10, 30):
        make(n)
        total += n
        with CaptureQueriesContext(connection) as ctx, django_assert_max_num_queries(5):
            rows = client.get(url, {"page_size": 100}).json()["results"]
        assert len(rows) == total * per_client
        counts.append(len(ctx))
    assert counts[0] == counts[1]  # 10 rows or 40: the same queries


def test_ordering_and_cursor_pages(api, manager):
    for name in ["Б", "А", "В", "А", "Б"]:
        CounterpartyFactory(main_manager=manager, name=name)
    client = api(manager)
    seen, url = [], CP + "?page_size=2&ordering=name"
    while url:
        body = client.get(url).json()
        seen += [(r["name"], r["id"]) for r in body["results"]]
        url = body["next"]
    assert seen == sorted(seen)
    assert len(seen) == 5
    # Ordering by a column without an index is ignored (falls back to the default).
    names = [r["name"] for r in client.get(CP, {"ordering": "notes"}).json()["results"]]
    assert names == sorted(names)


def test_settings_validation_is_400(api, admin_user):
    client = api(admin_user)
    assert client.post("/api/custom-properties/", {"name": "Размер", "code": "size"},
                       format="json").status_code == 201
    resp = client.post("/api/custom-properties/", {"name": "Ещё", "code": "size"}, format="json")
    assert resp.status_code == 400
    resp = client.post("/api/custom-properties/", {"name": "Уровень", "code": "tier", "kind": "choice"},
                       format="json")
    assert resp.status_code == 400
    assert "choices" in resp.json()
    parent = GroupFactory()
    child = GroupFactory(parent=parent)
    resp = client.patch(f"/api/counterparty-groups/{parent.pk}/", {"parent": child.pk, "version": 1},
                        format="json")
    assert resp.status_code == 400
    assert "parent" in resp.json()


def test_put_replaces_fields(api, manager, own):
    resp = api(manager).put(f"{CP}{own.pk}/", {"name": "ООО Ландыш", "kind": "individual",
                                               "tax_id": "", "version": own.version}, format="json")
    assert resp.status_code == 200, resp.content
    own.refresh_from_db()
    assert (own.name, own.kind, own.tax_id, own.main_manager) == ("ООО Ландыш", "individual", "", manager)
