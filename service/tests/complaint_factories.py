"""Factories of the complaint models and their samples for the generated access matrix."""

import datetime

import factory
from django.utils import timezone

from clients.models import Counterparty
from core import access
from core.tests import samples

from ..models import Complaint, ComplaintTask, ComplaintType, Department


def complaint_type(code="quality"):
    ComplaintType.ensure_builtin()
    return ComplaintType.objects.get(code=code)


def department(code="legal"):
    Department.ensure_builtin()
    return Department.objects.get(code=code)


class ComplaintFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Complaint

    type = factory.LazyFunction(complaint_type)
    subject = factory.Sequence(lambda n: f"Complaint {n}")
    received_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=1))


class ComplaintTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ComplaintTask

    complaint = factory.SubFactory(ComplaintFactory)
    department = factory.LazyFunction(department)
    description = factory.Sequence(lambda n: f"Subtask {n}")


@samples.sample(Complaint)
def complaint_sample(world):
    return ComplaintFactory(counterparty=world.get(Counterparty), subject=world.text("complaint"))


@samples.sample(ComplaintTask)
def complaint_task_sample(world):
    return ComplaintTaskFactory(complaint=world.get(Complaint), description=world.text("subtask"))


samples.probe("service:complaint_state", method="post", action=access.CHANGE, target=Complaint,
              data=lambda world, c: {"state": Complaint.State.IN_PROGRESS})
samples.probe("service:complaint_call", method="post", action=access.CHANGE, target=Complaint,
              data=lambda world, c: {"call-result": "Satisfied"})
samples.probe("api:complaint-closing-call", method="post", action=access.CHANGE, target=Complaint,
              data=lambda world, c: {"result": "Satisfied"})
samples.probe("service:complaint_task_add", method="post", action=access.CHANGE, target=Complaint,
              data=lambda world, c: {"task-department": department().pk, "task-description": "Check"})
samples.probe("service:complainttask_done", method="post", action=access.CHANGE, target=ComplaintTask,
              data=lambda world, t: {"done-result": "Done"})
samples.probe("service:card_complaints", target=Counterparty)
