"""``access.may``: a record's own ``restrict`` for one row, asked once per instance and user."""

import pytest

from clients.tests.factories import CounterpartyFactory
from core import access
from sales.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db
ACTIONS = (access.VIEW, access.CHANGE, access.DELETE)


@pytest.mark.parametrize("persona", ["manager", "teammate", "head", "quality"])
def test_may_is_the_models_restrict_for_the_row(persona, manager, request, django_assert_num_queries,
                                               django_assert_max_num_queries):
    user = request.getfixturevalue(persona)
    client = CounterpartyFactory(main_manager=manager)
    order = OrderFactory(counterparty=client, responsible=manager)
    for obj in (client, order):
        expected = {a: type(obj).objects.restrict(user, a).filter(pk=obj.pk).exists() for a in ACTIONS}
        with django_assert_max_num_queries(len(ACTIONS)):  # none for an action the role lacks
            assert {a: access.may(user, a, obj) for a in ACTIONS} == expected
        with django_assert_num_queries(0):  # the card's tabs ask again
            assert {a: access.may(user, a, obj) for a in ACTIONS} == expected
    assert access.may(manager, access.CHANGE, order)
    if persona == "teammate":
        assert not access.may(user, access.VIEW, order)  # the memo is per user
