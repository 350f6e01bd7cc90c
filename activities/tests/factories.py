"""Factories for interactions, tasks and reminders (shared by the activities tests)."""

from datetime import timedelta

import factory
from django.utils import timezone

from activities.models import Interaction, InteractionType, Reminder, Task
from clients.tests.factories import CounterpartyFactory
from core.tests.factories import UserFactory


def interaction_type(code):
    # The built-in types come from a data migration; transactional tests flush them.
    return InteractionType.objects.get_or_create(code=code, defaults={"name": code.replace("_", " ").title()})[0]


class InteractionFactory(factory.django.DjangoModelFactory):
    """A planned meeting tomorrow, with a client of the responsible user."""

    class Meta:
        model = Interaction

    type = factory.LazyFunction(lambda: interaction_type("meeting"))
    subject = factory.Sequence(lambda n: f"Meeting {n}")
    responsible = factory.SubFactory(UserFactory)
    counterparty = factory.SubFactory(CounterpartyFactory, main_manager=factory.SelfAttribute("..responsible"))
    start = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    state = Interaction.State.PLANNED


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    title = factory.Sequence(lambda n: f"Task {n}")
    author = factory.SubFactory(UserFactory)
    assignee = factory.SubFactory(UserFactory)
    deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))


class ReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reminder

    user = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"Reminder {n}")
    remind_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))


# --- Samples and probes for the generated access matrix (core/tests/test_access_matrix.py) ------

def _register_matrix():
    from clients.models import Counterparty
    from core.tests import samples

    @samples.sample(Interaction)
    def interaction_sample(world):
        return InteractionFactory(responsible=world.owner, counterparty=world.get(Counterparty),
                                  subject=world.text("interaction"))

    @samples.sample(Task)
    def task_sample(world):
        return TaskFactory(author=world.owner, assignee=world.owner, counterparty=world.get(Counterparty),
                           title=world.text("task"))

    @samples.sample(Reminder)
    def reminder_sample(world):
        return ReminderFactory(user=world.owner, counterparty=world.get(Counterparty), text=world.text("reminder"))

    samples.probe("activities:card_interactions", target=Counterparty)
    # The basis select of the owner's client: its deals and orders, for who may see them only.
    samples.probe("activities:interaction_basis", kind="list", positive=False,
                  data=lambda world, _row: {"counterparty": world.get(Counterparty).pk})


_register_matrix()
