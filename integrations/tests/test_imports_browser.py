"""A head uploads the demo file, keeps the guessed mapping, looks at the preview (one error, one
client matched by tax id), runs the import skipping the error row and watches the progress bar
end — the worker is django_tasks_db's own loop, in a thread (as in the analytics browser test)."""

import threading
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import expect

from clients.models import Counterparty
from clients.tests.factories import CounterpartyFactory

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "clients-import.csv"


def work_off_the_queue():
    from django_tasks_db.management.commands.db_worker import Worker

    try:
        worker = Worker(queue_names=["default"], interval=0.2, batch=True, backend_name="default",
                        startup_delay=False, max_tasks=1, worker_id="import-browser-test",
                        excluded_queue_names=[])
        worker.run()
    finally:
        connections.close_all()


def test_upload_map_preview_run(page, console, log_in, head, manager):
    CounterpartyFactory(name="ООО «Семейный Магазин»", tax_id="7708599507", main_manager=manager, city="Тверь")
    log_in(head.username)
    page.goto("/integrations/imports/")
    page.get_by_test_id("add").click()
    page.set_input_files("input[name=file]", str(SAMPLE))
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("mapping")).to_be_visible()
    expect(page.locator("select[name=col_1]")).to_have_value("tax_id")
    page.get_by_test_id("mapping-submit").click()
    expect(page.get_by_test_id("preview-summary")).to_contain_text("1")
    expect(page.get_by_test_id("error-count")).to_contain_text("1")
    expect(page.get_by_test_id("preview-rows")).to_contain_text("ООО «Полярная Звезда»")
    expect(page.get_by_test_id("flagged-rows")).to_contain_text("ООО «Семейный Магазин»")
    page.get_by_label("Skip the rows with errors").check()
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("import-status")).to_be_visible()
    worker = threading.Thread(target=work_off_the_queue, daemon=True)
    worker.start()
    expect(page.get_by_test_id("import-state")).to_have_text("Done", timeout=60_000)
    expect(page.get_by_test_id("import-progress").locator(".progress-bar")).to_have_text("100 %")
    expect(page.get_by_test_id("import-result")).to_contain_text("Created: 3, updated: 1, skipped: 1.")
    assert Counterparty.objects.get(tax_id="7708599507").city == "Москва"
    worker.join(10)
    assert [line for line in console if line.startswith(("error", "pageerror"))] == []


def test_a_big_file_shows_the_progress_of_its_validation_then_the_preview(page, console, log_in, head, tmp_path):
    """Over 2 000 rows the check runs in the worker: a progress bar, then the page reloads itself
    with the preview when the worker has saved the report."""
    from integrations.imports import samplefile, services

    big = tmp_path / "big.csv"
    big.write_bytes(samplefile.csv_bytes(services.INLINE_ROWS + 100, encoding="cp1251"))
    log_in(head.username)
    page.goto("/integrations/imports/new/")
    page.set_input_files("input[name=file]", str(big))
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("import-state")).to_have_text("Validating")
    expect(page.get_by_test_id("import-progress")).to_be_visible()
    expect(page.get_by_test_id("mapping")).to_be_visible()
    expect(page.get_by_test_id("preview")).to_have_count(0)
    worker = threading.Thread(target=work_off_the_queue, daemon=True)
    worker.start()
    expect(page.get_by_test_id("preview-summary")).to_contain_text(f"create: {services.INLINE_ROWS + 100}",
                                                                   timeout=60_000)
    expect(page.get_by_test_id("import-status")).to_have_count(0)
    expect(page.get_by_test_id("job-state")).to_have_text("Validated")
    worker.join(10)
    assert [line for line in console if line.startswith(("error", "pageerror"))] == []
