"""A marketer writes a mailing to a group, previews it, starts it; the progress bar follows the
worker until every message is sent."""

import datetime

import pytest
from playwright.sync_api import expect

from clients.models import ContactInfo, ContactPerson
from clients.tests.factories import CounterpartyFactory
from marketing import mailing_sender
from marketing.models import GroupMember, Mailing, MailingGroup

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_write_preview_start_and_watch_a_mailing(page, console, log_in, marketer, manager, settings):
    settings.KLIENTURA_MAILING_RATE = 0
    cp = CounterpartyFactory(name="Кафе «Уют»", main_manager=manager)
    olga = ContactPerson.objects.create(counterparty=cp, last_name="Смирнова", first_name="Ольга")
    ContactInfo.objects.create(counterparty=cp, contact_person=olga, kind="email", value="olga@uyut.ru",
                               consent_date=datetime.date(2026, 1, 10), consent_source="анкета")
    ContactInfo.objects.create(counterparty=cp, kind="email", value="info@uyut.ru")  # no consent
    group = MailingGroup.objects.create(name="Кафе")
    GroupMember.objects.create(group=group, counterparty=cp)

    log_in(marketer.username)
    page.goto("/marketing/mailings/new/")
    page.get_by_label("Name").fill("Зимняя акция")
    page.get_by_label("Mailing group").select_option(label="Кафе")
    page.get_by_label("Subject").fill("Скидки для {{ client_name }}")
    page.get_by_label("Text").fill("Добрый день, {{ first_name }}! {% if x %}")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("preview-body")).to_have_text("Добрый день, Ольга! {% if x %}")
    expect(page.get_by_test_id("preview-subject")).to_have_text("Скидки для Кафе «Уют»")
    expect(page.get_by_test_id("audit-recipients")).to_have_text("1")
    expect(page.get_by_test_id("audit-no-consent")).to_have_text("1")
    page.get_by_test_id("mailing-start").click()
    expect(page.get_by_test_id("mailing-progress")).to_be_visible()
    mailing_sender.send_mailing(Mailing.objects.get().pk)  # what the worker does
    expect(page.get_by_test_id("count-sent")).to_contain_text("1", timeout=10_000)
    page.reload()
    expect(page.get_by_test_id("mailing-state")).to_have_text("Sent")
    expect(page.get_by_test_id("mailing-recipients")).to_contain_text("olga@uyut.ru")
    assert not [line for line in console if line.startswith(("error", "pageerror"))]
