"""A sales manager attaches a file on a client card (htmx, in place), is told when a file is too
large, downloads the file under its Cyrillic name and moves it to the trash."""

import pytest
from playwright.sync_api import expect

from clients.tests.factories import CounterpartyFactory
from core.models import Attachment

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "Счёт на оплату.pdf"


def test_attach_download_and_delete_on_the_client_card(page, console, log_in, manager, settings):
    settings.KLIENTURA_ATTACHMENT_MAX_MB = 1
    client = CounterpartyFactory(main_manager=manager, name="Холод-Сервис")
    log_in(manager.username)
    page.goto(client.get_absolute_url())
    tab = page.get_by_test_id("attachments-tab")
    expect(tab).to_contain_text("0")
    tab.click()
    panel = page.get_by_test_id("attachments-panel")
    expect(panel.get_by_test_id("attachments-empty")).to_be_visible()

    # Too large: the form comes back in place, the message under the file field.
    panel.get_by_test_id("attachment-file").set_input_files(
        {"name": "big.bin", "mimeType": "application/octet-stream", "buffer": b"x" * (1024 * 1024 + 1)})
    panel.get_by_test_id("attachment-upload").click()
    expect(page.get_by_test_id("attachment-file-error")).to_contain_text("larger than 1 MB")

    panel = page.get_by_test_id("attachments-panel")
    panel.get_by_test_id("attachment-file").set_input_files(
        {"name": NAME, "mimeType": "application/pdf", "buffer": b"%PDF-1.4 invoice"})
    panel.get_by_label("Description").fill("за март")
    panel.get_by_test_id("attachment-upload").click()
    row = page.get_by_test_id("attachment-row")
    expect(row).to_contain_text(NAME)
    expect(row).to_contain_text("за март")
    expect(tab).to_contain_text("1")  # the tab's count follows the panel
    expect(page.get_by_test_id("attachment-file-error")).to_have_count(0)
    assert Attachment.objects.get().record == client

    with page.expect_download() as info:
        row.get_by_test_id("attachment-download").click()
    download = info.value
    assert download.suggested_filename == NAME
    with open(download.path(), "rb") as fh:
        assert fh.read() == b"%PDF-1.4 invoice"

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_test_id("attachment-delete").click()
    expect(page.get_by_test_id("attachments-empty")).to_be_visible()
    assert Attachment.all_objects.get().is_deleted
    # The refused upload is a 400 answer on purpose; nothing else may fail.
    errors = [line for line in console if line.startswith(("error", "pageerror")) and "status of 400" not in line]
    assert not errors, console
