"""A quality specialist works a complaint on its card: adds a subtask, completes it, is stopped by
a decision missing, then decides and closes the complaint."""

import pytest
from playwright.sync_api import expect

from clients.tests.factories import CounterpartyFactory
from service.models import Complaint, ComplaintTask
from service.tests.factories import ComplaintFactory, department

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_complaint_card(page, console, log_in, quality):
    complaint = ComplaintFactory(counterparty=CounterpartyFactory(name="Кафе «Уют»"), subject="Шумит компрессор",
                                 responsible=quality)
    legal = department("legal")
    log_in(quality.username)
    page.goto(complaint.get_absolute_url())
    expect(page.get_by_test_id("complaint-state")).to_have_text("New")

    form = page.get_by_test_id("add-task")
    form.get_by_label("Department").select_option(str(legal.pk))
    form.get_by_label("Description").fill("Проверить договор")
    form.get_by_role("button", name="Add a subtask").click()
    task = ComplaintTask.objects.get(complaint=complaint)
    row = page.get_by_test_id(f"complaint-task-{task.pk}")
    expect(row).to_contain_text("Проверить договор")
    row.get_by_label("Result").fill("Договор в порядке")
    row.get_by_role("button", name="Done").click()
    expect(page.get_by_test_id(f"complaint-task-{task.pk}")).to_contain_text("Договор в порядке")

    page.get_by_test_id("to-decided").click()  # no decision yet
    expect(page.get_by_test_id("decision-error")).to_be_visible()
    page.get_by_test_id("state-form").get_by_label("Decision").fill("Замена компрессора по гарантии")
    page.get_by_test_id("to-decided").click()
    expect(page.get_by_test_id("complaint-state")).to_have_text("Decided")
    page.get_by_test_id("call-form").get_by_label("What the client said").fill("Клиент доволен")
    expect(page.get_by_test_id("to-closed")).to_have_count(0)  # closing goes with the closing call
    expect(page.get_by_test_id("call-form").get_by_label("Close the complaint")).to_be_checked()
    page.get_by_test_id("call-form").get_by_role("button").click()
    expect(page.get_by_test_id("complaint-calls")).to_contain_text("Клиент доволен")
    expect(page.get_by_test_id("complaint-state")).to_have_text("Closed")
    assert Complaint.objects.get(pk=complaint.pk).closing_call is not None
    # The refused decision is a 400 page on purpose; nothing else may fail.
    errors = [line for line in console if line.startswith(("error", "pageerror")) and "status of 400" not in line]
    assert not errors, console
