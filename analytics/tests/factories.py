"""Factories of the analytics models and their samples for the generated access matrix."""

import datetime

import factory
from django.utils import timezone

from analytics.models import (
    AnalysisRun,
    Classification,
    ClassOverride,
    ClientAnalysis,
    RiskFlag,
    SalesPlan,
)
from clients.models import Counterparty
from clients.tests.factories import CounterpartyFactory
from core import access
from core.tests import samples


class AnalysisRunFactory(factory.django.DjangoModelFactory):
    """A finished run at today's date over the 12 full months before it."""

    class Meta:
        model = AnalysisRun

    analysis_date = factory.LazyFunction(timezone.localdate)
    period_start = factory.LazyAttribute(lambda o: o.analysis_date.replace(day=1) - datetime.timedelta(days=365))
    period_end = factory.LazyAttribute(lambda o: o.analysis_date.replace(day=1) - datetime.timedelta(days=1))
    currency = "RUB"
    status = AnalysisRun.Status.DONE
    progress = 100
    finished_at = factory.LazyFunction(timezone.now)


class ClientAnalysisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientAnalysis

    run = factory.SubFactory(AnalysisRunFactory)
    counterparty = factory.SubFactory(CounterpartyFactory)
    main_manager = factory.LazyAttribute(lambda o: o.counterparty.main_manager)
    stage = "regular"
    abc = ""
    xyz = ""
    stage_effective = factory.LazyAttribute(lambda o: o.stage)
    abc_effective = factory.LazyAttribute(lambda o: o.abc)
    xyz_effective = factory.LazyAttribute(lambda o: o.xyz)


class ClassificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Classification

    counterparty = factory.SubFactory(CounterpartyFactory)
    stage = "regular"


class ClassOverrideFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClassOverride

    counterparty = factory.SubFactory(CounterpartyFactory)
    abc = "A"
    reason = "Strategic client"


class RiskFlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RiskFlag

    run = factory.SubFactory(AnalysisRunFactory)
    counterparty = factory.SubFactory(CounterpartyFactory)
    main_manager = factory.LazyAttribute(lambda o: o.counterparty.main_manager)
    reason = "no_contact"
    details = factory.LazyFunction(lambda: {"days": 45})


class SalesPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesPlan

    manager = factory.SubFactory("core.tests.factories.UserFactory")
    month = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))
    revenue = 100000
    currency = "RUB"
    new_clients = 2
    contacts = 40


def _run(world):
    # One run shared by both worlds' rows: the matrix compares what each persona sees of it.
    run = AnalysisRun.objects.filter(status=AnalysisRun.Status.DONE).order_by("-id").first()
    return run or AnalysisRunFactory()


@samples.sample(ClientAnalysis)
def client_analysis_sample(world):
    return ClientAnalysisFactory(run=_run(world), counterparty=world.get(Counterparty), abc="A",
                                 main_manager=world.owner)


@samples.sample(Classification)
def classification_sample(world):
    return ClassificationFactory(counterparty=world.get(Counterparty), abc="A")


@samples.sample(ClassOverride)
def class_override_sample(world):
    return ClassOverrideFactory(counterparty=world.get(Counterparty), reason=world.text("override"))


@samples.sample(RiskFlag)
def risk_flag_sample(world):
    return RiskFlagFactory(run=_run(world), counterparty=world.get(Counterparty), main_manager=world.owner)


@samples.sample(SalesPlan)
def sales_plan_sample(world):
    return SalesPlanFactory(manager=world.owner, comment=world.text("plan"))


# The client card's override routes (analytics/views/overrides.py): the pk is the client's; a
# persona who sees the client but is no head is refused with 403 (ClassOverride.head_managed).
samples.probe("analytics:override", method="post", action=access.CHANGE, target=Counterparty,
              data=lambda world, _row: {"abc": "B", "reason": "probe"}, extra={"ui_role_denied": 403})
samples.probe("analytics:override_remove", method="post", action=access.DELETE, target=Counterparty,
              extra={"ui_role_denied": 403})
