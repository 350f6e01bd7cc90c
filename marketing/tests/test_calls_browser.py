"""An operator works through a call list: takes the next call from the list's page, is stopped by
a missing required answer and by a call-back without a time, records the results, and sees the
progress bar move until nobody is due."""

import pytest
from playwright.sync_api import expect

from clients.models import ContactInfo
from clients.tests.factories import CounterpartyFactory
from marketing import call_lists
from marketing.models import CallList, CallListEntry, CallQuestion, CallScript, GroupMember, MailingGroup

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_operator_calls_through_the_list(page, console, log_in, manager):
    script = CallScript.objects.create(name="Опрос", intro="Здравствуйте, компания «Лидер»!")
    who = CallQuestion.objects.create(script=script, order=1, text="Кто отвечает за оборудование?", required=True)
    CallQuestion.objects.create(script=script, order=2, text="Интересен договор?", kind=CallQuestion.Kind.YES_NO)
    group = MailingGroup.objects.create(name="Группа")
    for name, number in (("Кафе «Уют»", "+74951234501"), ("Пекарня «Колосок»", "+74951234502")):
        client = CounterpartyFactory(name=name, main_manager=manager)
        ContactInfo.objects.create(counterparty=client, kind="phone", value=number)
        GroupMember.objects.create(group=group, counterparty=client)
    call_list = CallList.objects.create(name="Обзвон", script=script, group=group, state=CallList.State.ACTIVE)
    call_list.operators.add(manager)
    call_lists.fill(call_list, manager)

    log_in(manager.username)
    page.goto(call_list.get_absolute_url())
    expect(page.get_by_test_id("progress-pending")).to_contain_text("2")
    page.get_by_test_id("calllist-start").click()
    expect(page.get_by_test_id("call-client-name")).to_have_text("Кафе «Уют»")
    expect(page.get_by_test_id("call-phone")).to_have_attribute("href", "tel:+74951234501")
    expect(page.get_by_test_id("call-intro")).to_contain_text("компания «Лидер»")
    page.get_by_test_id("result-reached").click()  # the required answer is missing
    expect(page.get_by_test_id("call-errors")).to_contain_text("Кто отвечает за оборудование?")
    page.get_by_label("Кто отвечает за оборудование? *").fill("Директор")
    page.get_by_label("Интересен договор?").select_option("yes")
    page.get_by_test_id("result-reached").click()

    expect(page.get_by_test_id("call-client-name")).to_have_text("Пекарня «Колосок»")
    expect(page.get_by_test_id("call-progress-bar")).to_have_text("50%")
    page.get_by_test_id("result-call_back").click()  # no time given
    expect(page.get_by_test_id("call-back-error")).to_be_visible()
    page.get_by_label("Call back at").fill("2099-01-15T11:30")
    page.get_by_test_id("result-call_back").click()
    expect(page.get_by_test_id("call-none")).to_be_visible()

    states = dict(CallListEntry.objects.values_list("counterparty__name", "state"))
    assert states == {"Кафе «Уют»": "reached", "Пекарня «Колосок»": "call_back"}
    reached = CallListEntry.objects.get(state="reached")
    assert reached.answers[str(who.pk)] == "Директор" and reached.interaction.responsible == manager
    # The two refused posts re-show the form with status 400, which the console reports.
    errors = [line for line in console if line.startswith(("error", "pageerror")) and "status of 400" not in line]
    assert not errors
