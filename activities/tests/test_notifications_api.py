"""``/api/notifications/``: one's own bell only, newest first, read / unread, mark read (idempotent)."""

import datetime

import pytest

from activities.models import Notification

pytestmark = pytest.mark.django_db

URL = "/api/notifications/"
EARLIER = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)


def note(user, text, **kw):
    return Notification.objects.create(user=user, text=text, **kw)


def texts(resp):
    assert resp.status_code == 200, resp.content
    return [row["text"] for row in resp.json()["results"]]


def test_lists_only_own_newest_first(api, manager, teammate):
    note(manager, "старое", created_at=EARLIER)
    note(manager, "новое")
    note(teammate, "чужое")
    assert texts(api(manager).get(URL)) == ["новое", "старое"]
    assert texts(api(teammate).get(URL)) == ["чужое"]


def test_filter_read_and_unread(api, manager):
    note(manager, "прочитано", read_at=EARLIER)
    note(manager, "не прочитано")
    client = api(manager)
    assert texts(client.get(URL, {"read": "false"})) == ["не прочитано"]
    assert texts(client.get(URL, {"read": "true"})) == ["прочитано"]


def test_cursor_pagination(api, manager):
    for i in range(5):
        note(manager, f"n{i}")
    client = api(manager)
    first = client.get(URL, {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    seen = [row["id"] for row in first["results"]]
    nxt = first["next"]
    while nxt:
        page = client.get(nxt).json()
        seen += [row["id"] for row in page["results"]]
        nxt = page["next"]
    assert len(seen) == len(set(seen)) == 5


def test_another_users_notification_is_404_everywhere(api, manager, teammate, admin_user):
    theirs = note(teammate, "чужое")
    for user in (manager, admin_user):
        client = api(user)
        assert client.get(f"{URL}{theirs.pk}/").status_code == 404
        assert client.post(f"{URL}{theirs.pk}/read/").status_code == 404
    client.post(f"{URL}read-all/")
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_is_idempotent(api, manager):
    mine = note(manager, "моё")
    client = api(manager)
    first = client.post(f"{URL}{mine.pk}/read/")
    assert first.status_code == 200 and first.json()["read"] is True
    read_at = first.json()["read_at"]
    again = client.post(f"{URL}{mine.pk}/read/")
    assert again.status_code == 200 and again.json()["read_at"] == read_at
    assert client.get(f"{URL}{mine.pk}/").json()["read"] is True


def test_read_all_marks_only_own_unread(api, manager, teammate):
    note(manager, "1")
    note(manager, "2")
    note(manager, "уже", read_at=EARLIER)
    theirs = note(teammate, "чужое")
    client = api(manager)
    assert client.post(f"{URL}read-all/").json() == {"marked": 2}
    assert client.post(f"{URL}read-all/").json() == {"marked": 0}
    assert not Notification.objects.filter(user=manager, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert Notification.objects.get(user=manager, text="уже").read_at == EARLIER


@pytest.mark.parametrize("persona", ["quality", "service", "marketer", "head"])
def test_every_role_has_a_bell(api, request, persona):
    user = request.getfixturevalue(persona)
    mine = note(user, "для всех ролей")
    client = api(user)
    assert texts(client.get(URL)) == ["для всех ролей"]
    assert client.post(f"{URL}{mine.pk}/read/").status_code == 200


def test_no_writes_or_dismissal(api, manager):
    """The UI cannot dismiss or edit a notification: neither can the API."""
    mine = note(manager, "моё")
    client = api(manager)
    assert client.delete(f"{URL}{mine.pk}/").status_code == 405
    assert client.patch(f"{URL}{mine.pk}/", {"text": "x"}, format="json").status_code == 405
    assert client.post(URL, {"text": "x"}, format="json").status_code == 405
    assert api().get(URL).status_code == 401
