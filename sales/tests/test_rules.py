"""Moving deals: stage history, optimistic locking, stage rules with working-time deadlines."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from activities.models import Notification, Task
from core.access import Role
from core.models import ConflictError
from core.tests.factories import UserFactory
from sales.models import DealRuleRun, Pipeline, Stage, StageChange, StageRule
from sales.services.rules import apply_stage_rules
from sales.services.stages import move_deal
from sales.tests.factories import DealFactory, default_stages

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")


def msk(*args):
    return dt.datetime(*args, tzinfo=MSK)


@pytest.fixture
def stages():
    return default_stages()


def move(deal, stage, user):
    deal.refresh_from_db()
    change = move_deal(deal, stage, user, deal.version)
    apply_stage_rules(change.pk)  # what the worker does once the move commits
    return change


def test_default_pipeline_from_seed(stages):
    assert Pipeline.default().is_default
    assert [s.name for s in stages][:2] == ["Demonstration / presentation", "Preparing a proposal"]
    assert [s.kind for s in stages][-2:] == [Stage.Kind.WON, Stage.Kind.LOST]
    assert [s.probability for s in stages] == sorted(s.probability for s in stages[:-1]) + [0]


def test_move_records_history_and_probability(manager, stages):
    deal = DealFactory(responsible=manager, stage=stages[0])
    assert deal.probability == stages[0].probability
    with time_machine.travel(msk(2026, 11, 3, 10, 0), tick=False):
        change = move_deal(deal, stages[1], manager, deal.version)
    deal.refresh_from_db()
    assert (deal.stage, deal.version, deal.probability) == (stages[1], 2, stages[1].probability)
    assert (change.from_stage, change.to_stage, change.moved_by) == (stages[0], stages[1], manager)
    assert change.moved_at == msk(2026, 11, 3, 10, 0)
    move_deal(deal, stages[-2], manager, deal.version)
    deal.refresh_from_db()
    assert deal.closed_at is not None
    assert StageChange.objects.filter(deal=deal).count() == 2


def test_stale_move_is_refused(manager, stages):
    deal = DealFactory(responsible=manager, stage=stages[0])
    move_deal(deal, stages[1], manager, deal.version)
    stale = type(deal).objects.get(pk=deal.pk)
    with pytest.raises(ConflictError):
        move_deal(stale, stages[2], manager, 1)
    deal.refresh_from_db()
    assert deal.stage == stages[1]
    assert StageChange.objects.filter(deal=deal).count() == 1


def test_move_to_another_pipeline_stage_is_refused(manager, stages):
    other = Pipeline.objects.create(name="Service")
    foreign = Stage.objects.create(pipeline=other, name="New")
    deal = DealFactory(responsible=manager, stage=stages[0])
    with pytest.raises(ValidationError):
        move_deal(deal, foreign, manager, deal.version)


def test_rules_create_tasks_with_working_time_deadlines(manager, stages):
    head = UserFactory(username="boss", role=Role.SALES_HEAD)
    StageRule.objects.create(stage=stages[1], title="Call the client", deadline_amount=15,
                             deadline_unit=StageRule.Unit.MINUTES)
    StageRule.objects.create(stage=stages[1], title="Calculate the price", deadline_amount=2,
                             deadline_unit=StageRule.Unit.HOURS,
                             assignee_kind=StageRule.AssigneeKind.ROLE, role=Role.SALES_HEAD)
    deal = DealFactory(responsible=manager, stage=stages[0])
    # Friday 17:50: the 15 minutes end on Monday 09:05; Tuesday 3 Nov 17:00 + 2 h skips Unity Day.
    with time_machine.travel(msk(2026, 11, 6, 17, 50), tick=False):
        move(deal, stages[1], manager)
    call = Task.objects.get(title="Call the client")
    price = Task.objects.get(title="Calculate the price")
    assert (call.assignee, call.author, call.counterparty) == (manager, manager, deal.counterparty)
    assert call.deadline == msk(2026, 11, 9, 9, 5)
    assert price.assignee == head
    assert price.deadline == msk(2026, 11, 9, 10, 50)
    # The head was told; the manager moved the deal themselves and needs no notice.
    assert Notification.objects.filter(user=head, text__contains="Calculate the price").exists()
    assert not Notification.objects.filter(user=manager).exists()


def test_rule_deadline_skips_public_holiday(manager, stages):
    StageRule.objects.create(stage=stages[2], title="Prepare the decision", deadline_amount=2,
                             deadline_unit=StageRule.Unit.HOURS)
    StageRule.objects.create(stage=stages[2], title="Follow up", deadline_amount=1,
                             deadline_unit=StageRule.Unit.DAYS)
    deal = DealFactory(responsible=manager, stage=stages[1])
    with time_machine.travel(msk(2026, 11, 3, 17, 0), tick=False):
        move(deal, stages[2], manager)
    assert Task.objects.get(title="Prepare the decision").deadline == msk(2026, 11, 5, 10, 0)
    assert Task.objects.get(title="Follow up").deadline == msk(2026, 11, 5, 17, 0)


def test_back_and_forth_moves_do_not_pile_up_tasks(manager, sales_head, stages):
    rule = StageRule.objects.create(stage=stages[1], title="Call the client", deadline_amount=15,
                                    deadline_unit=StageRule.Unit.MINUTES,
                                    assignee_kind=StageRule.AssigneeKind.USER, user=sales_head)
    deal = DealFactory(responsible=manager, stage=stages[0])
    with time_machine.travel(msk(2026, 11, 3, 10, 0), tick=False):
        change = move(deal, stages[1], manager)
        move(deal, stages[0], manager)
        move(deal, stages[1], manager)
        assert apply_stage_rules(change.pk) == []  # a late or repeated worker run does nothing
    assert Task.objects.filter(title="Call the client").count() == 1
    assert DealRuleRun.objects.get(deal=deal, rule=rule).task.assignee == sales_head
    assert Notification.objects.filter(user=sales_head).count() == 1
    # Once the task is done, entering the stage again is new work.
    task = Task.objects.get()
    task.state = Task.State.DONE
    task.save()
    with time_machine.travel(msk(2026, 11, 3, 11, 0), tick=False):
        move(deal, stages[0], manager)
        move(deal, stages[1], manager)
    assert Task.objects.filter(title="Call the client", state=Task.State.OPEN).count() == 1
    assert Task.objects.filter(title="Call the client").count() == 2


def test_rules_of_another_deal_are_separate(manager, stages):
    StageRule.objects.create(stage=stages[1], title="Call", deadline_amount=1)
    for deal in (DealFactory(responsible=manager), DealFactory(responsible=manager)):
        move(deal, stages[1], manager)
    assert Task.objects.filter(title="Call").count() == 2


def test_move_enqueues_the_worker(manager, stages, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    StageRule.objects.create(stage=stages[1], title="Call", deadline_amount=1)
    deal = DealFactory(responsible=manager, stage=stages[0])
    with django_capture_on_commit_callbacks(execute=True):
        change = move_deal(deal, stages[1], manager, deal.version)
    job = DBTaskResult.objects.get(task_path="sales.tasks.run_stage_rules")
    assert job.args_kwargs["args"] == [change.pk]
