"""Issue 9, item 10: the demo pipeline has seed 002's stage rules (moving a demo deal creates tasks)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from activities.models import Task
from core.access import Role
from core.tests.factories import UserFactory
from sales import demo
from sales.models import Pipeline, StageRule
from sales.services.rules import apply_stage_rules
from sales.services.stages import move_deal
from sales.tests.factories import DealFactory, default_stages

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")


def test_demo_rules_are_added_once_and_an_admins_deletion_stands():
    pipeline = Pipeline.ensure_default()
    assert demo.ensure_stage_rules(pipeline) == len(demo.STAGE_RULES)
    assert demo.ensure_stage_rules(pipeline) == 0  # idempotent
    first = pipeline.first_stage()
    call = StageRule.objects.get(stage=first)
    assert (call.title, call.deadline_amount, call.deadline_unit) == ("Позвонить клиенту", 15, "minutes")
    call.delete()  # the administrator does not want it: a reload does not bring it back
    assert demo.ensure_stage_rules(pipeline) == 0
    assert not StageRule.objects.filter(stage=first).exists()


def test_moving_a_deal_creates_the_rule_tasks(manager):
    stages = default_stages()
    engineer = UserFactory(role=Role.SERVICE)
    demo.ensure_stage_rules(Pipeline.default())
    deal = DealFactory(responsible=manager, stage=stages[0])
    with time_machine.travel(dt.datetime(2025, 3, 12, 10, 0, tzinfo=MSK), tick=False):  # a Wednesday
        change = move_deal(deal, stages[1], manager, deal.version)
        apply_stage_rules(change.pk)  # what the worker does once the move commits
    tasks = {t.title: t for t in Task.objects.all()}
    price, measure = tasks["Рассчитать стоимость"], tasks["Выполнить замер на объекте"]
    assert price.assignee == manager
    assert price.deadline.astimezone(MSK) == dt.datetime(2025, 3, 12, 12, 0, tzinfo=MSK)  # 2 working hours
    assert measure.assignee == engineer
