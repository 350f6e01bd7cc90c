"""A visitor of the company's site (another origin) fills the pasted web form: the widget solves
the proof of work, the form is sent with the page's UTM tags, and the inquiry is in the CRM."""

import functools
import http.server
import threading

import pytest
from playwright.sync_api import expect

from marketing.models import Inquiry, WebForm
from marketing.snippet import snippet

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def company_site(tmp_path):
    """A static site on its own port: a different origin from the CRM's live server."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_visitor_sends_the_form_from_the_company_site(page, console, live_server, company_site, settings, manager):
    settings.KLIENTURA_ALTCHA_COST = 10
    folder, origin = company_site
    web_form = WebForm.objects.create(name="Заявка с сайта", responsible=manager, allowed_origins=origin)
    html = snippet(web_form, live_server.url)
    (folder / "contacts.html").write_text(f"<!doctype html><html><body><h1>Контакты</h1>{html}</body></html>",
                                          encoding="utf-8")
    page.goto(f"{origin}/contacts.html?utm_source=newsletter&utm_campaign=spring")
    page.get_by_label("Your name").fill("Смирнова Ольга")
    page.get_by_label("Phone").fill("+7 495 123-45-02")
    send = page.get_by_role("button", name="Send")
    expect(send).to_be_enabled(timeout=20_000)  # the proof of work is solved
    send.click()
    expect(page.locator("[data-klientura-status]")).to_have_text(str(web_form.success_message), timeout=10_000)
    inquiry = Inquiry.objects.get()
    assert (inquiry.person_name, inquiry.phone, inquiry.channel) == ("Смирнова Ольга", "+74951234502", "web_form")
    assert (inquiry.utm_source, inquiry.utm_campaign, inquiry.responsible) == ("newsletter", "spring", manager)
    # The next sending gets a fresh check; a robot filling the hidden field is refused.
    expect(send).to_be_enabled(timeout=20_000)
    page.get_by_label("Your name").fill("Бот")
    page.get_by_label("Phone").fill("+7 495 123-45-03")
    page.locator("input[name=website]").fill("http://spam.example", force=True)
    send.click()
    expect(page.locator("[data-klientura-status]")).to_contain_text("must stay empty", timeout=10_000)
    assert Inquiry.objects.count() == 1
    # Only the company site's missing favicon and the refused post may show in the console.
    expected = ("404 (File not found)", "400 (Bad Request)")
    assert not [line for line in console if line.startswith("error") and not line.endswith(expected)]
