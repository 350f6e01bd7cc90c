"""Client addresses: the socket's unless a trusted reverse proxy is configured (issue 8, defect 3)."""

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from rest_framework.test import APIClient

from core.api.views import LoginThrottle
from core.auth import client_ip

pytestmark = pytest.mark.django_db

TOKEN = "/api/auth/token/"
PASSWORD = "Secret-pass-123"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def behind_proxy(settings):
    settings.KLIENTURA_TRUSTED_PROXIES = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


def _rate():
    return LoginThrottle().parse_rate(LoginThrottle().get_rate())[0]


def test_made_up_forwarded_for_does_not_dodge_the_token_throttle(manager):
    client = APIClient()
    codes = [client.post(TOKEN, {"username": manager.username, "password": PASSWORD},
                         HTTP_X_FORWARDED_FOR=f"10.0.{i}.1").status_code
             for i in range(15)]
    rate = _rate()
    assert rate < 15
    assert codes == [200] * rate + [429] * (15 - rate)


def test_forwarded_for_is_ignored_without_a_trusted_proxy():
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert client_ip(request) == "192.0.2.7"


def test_behind_a_trusted_proxy_the_last_hop_is_the_client(behind_proxy):
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1",
                                   HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    assert client_ip(request) == "203.0.113.9"  # "1.2.3.4" was typed by the client


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(manager, behind_proxy):
    client = APIClient()
    rate = _rate()
    post = lambda xff: client.post(TOKEN, {"username": manager.username, "password": PASSWORD},  # noqa: E731
                                   HTTP_X_FORWARDED_FOR=xff).status_code
    # One client prepending made-up hops is still one client.
    assert [post(f"10.9.{i}.1, 203.0.113.9") for i in range(rate + 1)] == [200] * rate + [429]
    assert post("203.0.113.10") == 200  # another real client


def test_login_lockout_ignores_made_up_forwarded_for(client, manager, settings):
    """django-axes counts failures per user and address: a made-up header does not reset it."""
    settings.AXES_FAILURE_LIMIT = 3
    for i in range(3):
        client.post("/login/", {"username": manager.username, "password": "wrong"},
                    HTTP_X_FORWARDED_FOR=f"10.0.{i}.1")
    resp = client.post("/login/", {"username": manager.username, "password": PASSWORD},
                       HTTP_X_FORWARDED_FOR="10.0.99.1")
    assert resp.status_code == 429
