"""Personas (Healthchecks-style) and factories available to every test module."""

import pytest

from core.access import Role
from core.tests.factories import UserFactory


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def head(db):
    return UserFactory(username="head", role=Role.COMPANY_HEAD)


@pytest.fixture
def sales_head(db):
    return UserFactory(username="saleshead", role=Role.SALES_HEAD)


@pytest.fixture
def manager(db):
    """The owner persona: a sales manager with their own clients."""
    return UserFactory(username="manager1", role=Role.SALES_MANAGER)


@pytest.fixture
def teammate(db):
    """Another sales manager: must never see ``manager``'s clients unless shared."""
    return UserFactory(username="manager2", role=Role.SALES_MANAGER)


@pytest.fixture
def marketer(db):
    return UserFactory(username="marketer", role=Role.MARKETER)


@pytest.fixture
def quality(db):
    return UserFactory(username="quality", role=Role.QUALITY)


@pytest.fixture
def service(db):
    return UserFactory(username="service", role=Role.SERVICE)


@pytest.fixture
def api():
    """An API client, authenticated as the given user (anonymous without one)."""
    from rest_framework.test import APIClient

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def client_for():
    """A logged-in Django test client for a user."""
    from django.test import Client

    def make(user):
        c = Client()
        c.force_login(user)
        return c

    return make
