"""The OpenAPI schema tells the truth: schemathesis against the app in-process (issue 8, defect 6).

Every operation, with a bounded number of generated requests (derandomized: the same requests
every run), as an administrator on a small data set; checks: no server error, documented
status codes, content types and response bodies.
"""

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from activities.tests.factories import InteractionFactory, ReminderFactory, TaskFactory
from clients.tests.factories import ContactInfoFactory, ContactPersonFactory, CounterpartyFactory
from klientura.wsgi import application
from sales.tests.factories import DealFactory, OrderFactory, OrderLineFactory, PaymentFactory, ShipmentFactory

pytestmark = pytest.mark.django_db(transaction=False)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 4  # per operation: under a minute for every operation on 2 cores


@pytest.fixture
def data_set(admin_user, manager):
    for owner in (admin_user, manager):
        cp = CounterpartyFactory(main_manager=owner)
        person = ContactPersonFactory(counterparty=cp)
        ContactInfoFactory(counterparty=cp, contact_person=person)
        InteractionFactory(counterparty=cp, responsible=owner)
        TaskFactory(counterparty=cp, assignee=owner, author=owner)
        ReminderFactory(user=owner, counterparty=cp)
        DealFactory(counterparty=cp, responsible=owner)
        order = OrderFactory(counterparty=cp, responsible=owner)
        ShipmentFactory(line=OrderLineFactory(order=order))
        PaymentFactory(order=order)


@pytest.fixture
def keep_connection():
    """Like Django's test client: the WSGI app must not close the test's transaction connection
    at the end of each request (PostgreSQL would lose the test data)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def run_operation(operation, headers):
    @hypothesis.given(case=operation.as_strategy())
    @hypothesis.settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.explicit,
                                                                          hypothesis.Phase.generate])
    def check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()


def test_api_conforms_to_its_schema(admin_user, data_set, keep_connection, subtests):
    token = Token.objects.create(user=admin_user).key
    headers = {"Authorization": f"Token {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, headers=headers)
    for result in schema.get_all_operations():
        operation = result.ok()
        with subtests.test(operation=operation.label):
            run_operation(operation, headers)
