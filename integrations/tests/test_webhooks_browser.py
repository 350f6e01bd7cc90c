"""An administrator adds a webhook from the Settings menu, copies the secret shown once, and finds
an internal address refused with the error at the URL field."""

import pytest
from playwright.sync_api import expect

from integrations.models import WebhookSubscription

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_adds_a_webhook(page, console, log_in, admin_user):
    log_in(admin_user.username)
    page.goto("/clients/")
    page.get_by_test_id("settings-menu").click()
    page.get_by_test_id("nav-webhooks").click()
    page.get_by_test_id("add").click()

    page.get_by_label("Name").fill("ERP")
    page.get_by_label("Target URL").fill("http://169.254.169.254/latest/meta-data")
    page.get_by_label("Client created").check()
    page.get_by_label("Deal won").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("169.254.169.254")
    assert not WebhookSubscription.objects.exists()

    page.get_by_label("Target URL").fill("https://erp.example.com/klientura")
    page.get_by_role("button", name="Save").click()
    sub = WebhookSubscription.objects.get()
    expect(page.get_by_test_id("webhook-secret")).to_contain_text(sub.secret)
    assert sub.events == ["client.created", "deal.won"]
    page.reload()
    expect(page.get_by_test_id("webhook-secret")).to_have_count(0)
    expect(page.get_by_test_id("webhook-url")).to_have_text("https://erp.example.com/klientura")
    # The refused form came back with 400, which the browser logs; nothing else may go wrong.
    assert not [line for line in console if line.startswith(("error", "pageerror")) and "400" not in line], console
