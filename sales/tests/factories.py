import factory

from clients.tests.factories import CounterpartyFactory
from sales.models import Deal, Pipeline


def default_stages():
    """The stages of the default pipeline (created by the data migration), in order."""
    return list(Pipeline.ensure_default().stages.order_by("order"))


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deal

    counterparty = factory.SubFactory(CounterpartyFactory)
    title = factory.Sequence(lambda n: f"Deal {n}")
    amount = 1000
    stage = factory.LazyFunction(lambda: default_stages()[0])
