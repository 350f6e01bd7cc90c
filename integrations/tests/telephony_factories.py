"""Factories of the telephony models, and their samples and probes for the access matrix."""

import itertools

import factory
from django.utils import timezone

from core.tests.factories import UserFactory
from integrations.models import Call, PhoneExtension

_ids = itertools.count(1)


class PhoneExtensionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PhoneExtension

    extension = factory.Sequence(lambda n: str(200 + n))
    user = factory.SubFactory(UserFactory)


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Call

    call_id = factory.LazyFunction(lambda: f"test-{next(_ids)}")
    direction = Call.Direction.INCOMING
    state = Call.State.COMPLETED
    from_number = "+74951234567"
    to_number = "+74950000000"
    number = factory.SelfAttribute("from_number")
    started_at = factory.LazyFunction(timezone.now)


def _register_matrix():
    from clients.models import Counterparty
    from core import access
    from core.tests import samples

    @samples.sample(Call)
    def call_sample(world):
        return CallFactory(counterparty=world.get(Counterparty), user=world.owner,
                           from_number=world.text("number"), number=world.text("number"))

    # A client made from a call: the owner may (a form); the teammate does not see the call (404);
    # a read-only role sees it but may not add clients (403).
    samples.probe("integrations:call_new_client", target=Call, action=access.ADD,
                  kwargs=lambda world: {"call": world.get(Call).pk}, extra={"ui_role_denied": 403})


_register_matrix()
