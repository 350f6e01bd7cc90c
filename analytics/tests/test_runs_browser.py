"""A head runs the analysis from the page and watches the progress bar fill up to the summary.

The engine is not on this branch yet: ``analytics.services.engine.compute`` is replaced by a
fake that steps the run 0 → 50 → 100 %; the queued task runs in django_tasks_db's own worker
loop (in a thread: ``manage.py db_worker`` would install signal handlers, main thread only).
"""

import threading
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone
from playwright.sync_api import expect

from analytics.models import AnalysisRun, ClientAnalysis
from analytics.services import engine
from clients.tests.factories import CounterpartyFactory

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class FakeEngine:
    """Half-way it waits until the test has seen 50 % on the page."""

    def __init__(self):
        self.halfway, self.go_on = threading.Event(), threading.Event()

    def __call__(self, run):
        runs = AnalysisRun.objects.filter(pk=run.pk)
        runs.update(status="running", progress=50, step="ABC classes", started_at=timezone.now())
        self.halfway.set()
        self.go_on.wait(20)
        for i, cp in enumerate(ClientAnalysis.counterparty.field.related_model.objects.order_by("pk")):
            ClientAnalysis.objects.create(run=run, counterparty=cp, main_manager=cp.main_manager, rank=i + 1,
                                          revenue=Decimal(1000 - i), measure=Decimal(1000 - i), abc="AB"[i % 2],
                                          abc_effective="AB"[i % 2], stage="regular", stage_effective="regular")
        runs.update(status="done", progress=100, step="Done", finished_at=timezone.now(), clients=2)


def work_off_the_queue():
    from django_tasks_db.management.commands.db_worker import Worker

    try:
        Worker(queue_names=["default"], interval=0.2, batch=True, backend_name="default", startup_delay=False,
               max_tasks=None, worker_id="browser-test", excluded_queue_names=[]).run()
    finally:
        connections.close_all()


def test_run_analysis_and_watch_the_progress(page, console, log_in, head, manager, monkeypatch):
    fake = FakeEngine()
    monkeypatch.setattr(engine, "compute", fake)
    for name in ("ООО Север", "ООО Юг"):
        CounterpartyFactory(main_manager=manager, name=name)

    log_in(head.username)
    page.goto("/analytics/runs/")
    page.get_by_test_id("run-analysis").click()
    page.get_by_test_id("run-submit").click()
    page.wait_for_url("**/analytics/runs/*/")
    bar = page.get_by_test_id("run-progress").locator(".progress-bar")
    expect(bar).to_have_text("0 %")
    expect(page.get_by_test_id("run-status-label")).to_have_text("Queued")

    worker = threading.Thread(target=work_off_the_queue, daemon=True)
    worker.start()
    try:
        assert fake.halfway.wait(20), "the worker did not pick up the run"
        expect(bar).to_have_text("50 %")
        expect(page.get_by_test_id("run-step")).to_have_text("ABC classes")
    finally:
        fake.go_on.set()
        worker.join(20)

    expect(bar).to_have_text("100 %")
    expect(page.get_by_test_id("run-status-label")).to_have_text("Done")
    summary = page.get_by_test_id("run-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_test_id("summary-abc")).to_contain_text("A")
    expect(page.get_by_test_id("run-rows")).to_contain_text("ООО Север")
    assert page.get_by_test_id("run-status").get_attribute("hx-trigger") is None  # polling stopped
    assert AnalysisRun.objects.get().status == "done"
    assert [line for line in console if line.startswith(("error", "pageerror"))] == []
