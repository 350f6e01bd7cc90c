"""The deals board in a real browser: drag a deal to the next stage, the stage rule makes a task."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from activities.models import Task
from clients.tests.factories import CounterpartyFactory
from sales.models import DealRuleRun, StageChange, StageRule
from sales.services.rules import apply_stage_rules
from sales.tests.factories import DealFactory, default_stages

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def drag(page, item, target):
    """Press, move in steps and release: SortableJS (fallback mode) follows real mouse moves."""
    box, goal = item.bounding_box(), target.bounding_box()
    page.mouse.move(box["x"] + 10, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2 + 5, steps=5)
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + 40, steps=20)
    page.mouse.up()


def problems(console):
    return [line for line in console if "Content Security Policy" in line or line.startswith("pageerror")]


def test_drag_deal_to_next_stage_creates_task(page, console, log_in, manager, teammate):
    stages = default_stages()
    StageRule.objects.create(stage=stages[1], title="Prepare the proposal", deadline_amount=2,
                             deadline_unit=StageRule.Unit.HOURS)
    deal = DealFactory(title="Boiler room", amount=150000, responsible=manager,
                       counterparty=CounterpartyFactory(main_manager=manager, name="ООО Котельная"),
                       stage=stages[0])
    hidden = DealFactory(title="Not yours", responsible=teammate,
                         counterparty=CounterpartyFactory(main_manager=teammate), stage=stages[0])

    log_in(manager.username)
    page.goto(f"/sales/board/{stages[0].pipeline_id}/")
    first, second = page.get_by_test_id(f"stage-{stages[0].pk}"), page.get_by_test_id(f"stage-{stages[1].pk}")
    card = first.get_by_test_id(f"deal-{deal.pk}")
    expect(card).to_contain_text("ООО Котельная")
    expect(page.get_by_test_id(f"deal-{hidden.pk}")).to_have_count(0)
    expect(first.locator("[data-role=count]")).to_have_text("1")

    drag(page, card, second.locator(".kanban-drop"))
    expect(page.get_by_test_id("kanban-alert")).to_contain_text("moved to")
    expect(second.get_by_test_id(f"deal-{deal.pk}")).to_have_attribute("data-version", "2")
    expect(second.locator("[data-role=count]")).to_have_text("1")
    expect(first.locator("[data-role=count]")).to_have_text("0")
    deal.refresh_from_db()
    assert deal.stage == stages[1]

    # What the worker does after the move committed.
    apply_stage_rules(StageChange.objects.get(deal=deal).pk)
    task = DealRuleRun.objects.get(deal=deal).task
    assert task.assignee == manager and task.state == Task.State.OPEN

    page.goto(reverse("activities:task_list"))  # "My tasks"
    expect(page.get_by_role("link", name="Prepare the proposal")).to_be_visible()
    assert problems(console) == []
