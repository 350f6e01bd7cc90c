"""Each role × list / card / search / export / edit / delete on the client base (UI).

The API half of the matrix lives in clients/tests/test_api.py.
"""

import pytest
from django.urls import reverse

from clients.tests.factories import ContactInfoFactory, ContactPersonFactory, CounterpartyFactory

pytestmark = pytest.mark.django_db

# role fixture -> (sees teammate's client, may edit, may delete)
MATRIX = {
    "admin_user": (True, True, True),
    "head": (True, True, True),
    "sales_head": (True, True, True),
    "manager": (False, True, True),
    "marketer": (True, True, False),
    "quality": (True, False, False),
    "service": (True, False, False),
}


@pytest.fixture
def world(manager, teammate):
    own = CounterpartyFactory(main_manager=manager, name="Own client")
    foreign = CounterpartyFactory(main_manager=teammate, name="Foreign client")
    ContactInfoFactory(counterparty=foreign, value="+74951234567")
    person = ContactPersonFactory(counterparty=foreign, last_name="Foreignperson")
    return own, foreign, person


@pytest.mark.parametrize("role", MATRIX)
def test_role_matrix(request, role, world, client_for):
    sees, edits, deletes = MATRIX[role]
    _own, foreign, person = world
    c = client_for(request.getfixturevalue(role))
    listing = c.get(reverse("clients:counterparty_list")).content.decode()
    assert ("Foreign client" in listing) is sees
    search = c.get(reverse("clients:counterparty_list"), {"q": "8 495 123-45-67"}).content.decode()
    assert ("Foreign client" in search) is sees
    export = b"".join(c.get(reverse("clients:counterparty_list"), {"export": "csv"}).streaming_content)
    assert ("Foreign client" in export.decode("utf-8-sig")) is sees
    persons = c.get(reverse("clients:person_list")).content.decode()
    assert ("Foreignperson" in persons) is sees
    assert c.get(foreign.get_absolute_url()).status_code == (200 if sees else 404)
    assert c.get(reverse("clients:counterparty_history", args=[foreign.pk])).status_code == (
        200 if sees else 404)
    assert c.get(reverse("clients:counterparty_edit", args=[foreign.pk])).status_code == (
        200 if sees and edits else 404)
    assert c.get(reverse("clients:person_edit", args=[person.pk])).status_code == (
        200 if sees and edits else 404)
    assert c.get(reverse("clients:counterparty_delete", args=[foreign.pk])).status_code == (
        200 if sees and deletes else 404)


def test_anonymous_is_sent_to_login(client, world):
    for url in [reverse("clients:counterparty_list"), world[1].get_absolute_url(), reverse("trash")]:
        resp = client.get(url)
        assert resp.status_code == 302 and resp.url.startswith(reverse("login"))
