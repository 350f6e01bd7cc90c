"""The board asks why a deal was lost: drop into Lost, choose a reason, the deal stays there."""

import pytest
from playwright.sync_api import expect

from clients.tests.factories import CounterpartyFactory
from sales.models import LostReason
from sales.tests.factories import DealFactory, default_stages
from sales.tests.test_board_browser import drag, problems

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_drop_into_lost_asks_for_reason(page, console, log_in, manager):
    stages = default_stages()
    first, lost = stages[0], next(s for s in stages if s.kind == "lost")
    reason = LostReason.objects.get(code="competitor")
    deal = DealFactory(title="Cold room", responsible=manager, stage=first,
                       counterparty=CounterpartyFactory(main_manager=manager, name="ООО Мороз"))

    page.set_viewport_size({"width": 2000, "height": 900})  # all seven columns on screen
    log_in(manager.username)
    page.goto(f"/sales/board/{first.pipeline_id}/")
    source, target = page.get_by_test_id(f"stage-{first.pk}"), page.get_by_test_id(f"stage-{lost.pk}")
    modal = page.get_by_test_id("deal-result-modal")

    # Cancelling puts the card back and moves nothing.
    drag(page, source.get_by_test_id(f"deal-{deal.pk}"), target.locator(".kanban-drop"))
    expect(modal).to_be_visible()
    expect(modal).to_contain_text("Why was the deal lost?")
    page.get_by_test_id("result-cancel").click()
    expect(modal).to_be_hidden()
    expect(source.get_by_test_id(f"deal-{deal.pk}")).to_be_visible()
    expect(target.get_by_test_id(f"deal-{deal.pk}")).to_have_count(0)
    deal.refresh_from_db()
    assert deal.stage == first

    # Saving without a reason is refused in the dialog; with one, the deal moves.
    drag(page, source.get_by_test_id(f"deal-{deal.pk}"), target.locator(".kanban-drop"))
    expect(modal).to_be_visible()
    page.get_by_test_id("result-save").click()
    expect(page.get_by_test_id("lost-reason")).to_have_class("form-select is-invalid")
    page.get_by_test_id("lost-reason").select_option(str(reason.pk))
    page.get_by_test_id("result-comment").fill("Signed with a competitor")
    page.get_by_test_id("result-save").click()
    expect(modal).to_be_hidden()
    expect(page.get_by_test_id("kanban-alert")).to_contain_text("moved to")
    expect(target.get_by_test_id(f"deal-{deal.pk}")).to_have_attribute("data-version", "2")
    expect(target.locator("[data-role=count]")).to_have_text("1")
    expect(source.locator("[data-role=count]")).to_have_text("0")
    deal.refresh_from_db()
    assert (deal.stage, deal.lost_reason, deal.result_comment) == (lost, reason, "Signed with a competitor")
    assert problems(console) == []


def test_a_cancel_while_the_dialog_fades_in_still_cancels(page, console, log_in, manager):
    """Bootstrap ignores hide() during the show transition: the board closes the dialog once shown."""
    stages = default_stages()
    first, lost = stages[0], next(s for s in stages if s.kind == "lost")
    deal = DealFactory(title="Quick", responsible=manager, stage=first,
                       counterparty=CounterpartyFactory(main_manager=manager, name="ООО Быстро"))
    page.set_viewport_size({"width": 2000, "height": 900})
    log_in(manager.username)
    page.goto(f"/sales/board/{first.pipeline_id}/")
    source, target = page.get_by_test_id(f"stage-{first.pk}"), page.get_by_test_id(f"stage-{lost.pk}")
    drag(page, source.get_by_test_id(f"deal-{deal.pk}"), target.locator(".kanban-drop"))
    page.get_by_test_id("result-cancel").dispatch_event("click")  # at once, mid-transition
    expect(page.get_by_test_id("deal-result-modal")).to_be_hidden()
    expect(source.get_by_test_id(f"deal-{deal.pk}")).to_be_visible()
    deal.refresh_from_db()
    assert deal.stage == first
    assert problems(console) == []
