"""Demo passwords (password = user name) are refused outside demo mode (issue 8, defect 7)."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from core.access import Role
from core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MESSAGE = "An administrator must set a new password"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def demo_users(db):
    """Left over from a demo: passwords equal to the user names."""
    manager = UserFactory(username="manager1", role=Role.SALES_MANAGER)
    manager.set_password("manager1")
    manager.save()
    admin = UserFactory(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True)
    admin.set_password("admin")
    admin.save()
    return manager, admin


def test_web_login_refused_outside_demo_mode(client, demo_users, settings):
    settings.DEMO_MODE = False
    resp = client.post("/login/", {"username": "manager1", "password": "manager1"})
    assert resp.status_code == 200
    assert MESSAGE in resp.content.decode()
    assert "_auth_user_id" not in client.session


def test_admin_login_refused_outside_demo_mode(client, demo_users, settings):
    settings.DEMO_MODE = False
    resp = client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "admin"})
    assert resp.status_code == 200
    assert MESSAGE in resp.content.decode()
    assert "_auth_user_id" not in client.session


def test_api_token_refused_outside_demo_mode(demo_users, settings):
    settings.DEMO_MODE = False
    resp = APIClient().post("/api/auth/token/", {"username": "manager1", "password": "manager1"}, format="json")
    assert resp.status_code == 400
    assert "token" not in resp.json()
    assert MESSAGE in str(resp.json())


def test_demo_mode_still_allows_demo_passwords(client, demo_users, settings):
    settings.DEMO_MODE = True
    resp = client.post("/login/", {"username": "manager1", "password": "manager1"})
    assert resp.status_code == 302
    assert client.session["_auth_user_id"] == str(demo_users[0].pk)
    resp = APIClient().post("/api/auth/token/", {"username": "manager1", "password": "manager1"}, format="json")
    assert resp.status_code == 200 and resp.json()["token"]
    client.logout()
    assert client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "admin"}).status_code == 302


def test_real_passwords_still_work_outside_demo_mode(client, demo_users, settings):
    settings.DEMO_MODE = False
    manager = demo_users[0]
    manager.set_password("Long-real-pass-2024")
    manager.save()
    assert client.post("/login/", {"username": "manager1", "password": "Long-real-pass-2024"}).status_code == 302


def test_load_demo_refuses_name_passwords_outside_demo_mode(settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="KLIENTURA_DEMO"):
        call_command("load_demo", stdout=StringIO())
    assert not get_user_model().objects.exists()
