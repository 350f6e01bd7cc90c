"""A sales manager opens their inquiry, converts it picking the existing client the duplicate
check found, and lands on the new deal, whose campaign panel names the inquiry's campaign."""

import pytest
from playwright.sync_api import expect

from clients.models import ContactInfo
from clients.tests.factories import CounterpartyFactory
from marketing.models import Inquiry
from marketing.tests.factories import CampaignFactory, InquiryFactory

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_convert_an_inquiry_into_a_deal_of_an_existing_client(page, console, log_in, manager):
    client = CounterpartyFactory(name="Кафе «Уют»", main_manager=manager)
    ContactInfo.objects.create(counterparty=client, kind="phone", value="+74951234502")
    campaign = CampaignFactory(name="Летняя акция")
    inquiry = InquiryFactory(company="Кафе Уют", person_name="Смирнова Ольга", phone="+74951234502",
                             message="Витрина на 1,5 м", campaign=campaign, responsible=manager)

    log_in(manager.username)
    page.goto("/marketing/inquiries/")
    page.locator(f'a[href="{inquiry.get_absolute_url()}"]').first.click()
    page.get_by_test_id("inquiry-convert").click()
    expect(page.get_by_test_id("convert-duplicates")).to_contain_text("Кафе «Уют»")
    page.get_by_label("Кафе «Уют»").check()
    page.get_by_test_id("convert-submit").click()
    expect(page.get_by_test_id("deal-campaign-name")).to_have_text("Летняя акция")
    inquiry.refresh_from_db()
    assert inquiry.state == Inquiry.State.CONVERTED and inquiry.counterparty == client
    assert not [line for line in console if line.startswith(("error", "pageerror"))]
