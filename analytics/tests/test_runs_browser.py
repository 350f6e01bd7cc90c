"""A head runs the analysis from the page, watches the progress bar fill up to the summary, and
opens the ABC report of the run with its Pareto chart drawn.

The real engine runs in django_tasks_db's own worker loop (in a thread: ``manage.py db_worker``
would install signal handlers, main thread only); it is held at its "classifying" step until the
page has shown it, so the test sees the bar move rather than only its end.
"""

import datetime
import threading

import pytest
from django.db import connections
from django.utils import timezone
from playwright.sync_api import expect

from analytics.models import AnalysisRun
from analytics.services import engine
from analytics.tests.test_engine import sale
from clients.tests.factories import CounterpartyFactory

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class HeldStep:
    """Wraps engine._step: at the classifying step it shows the progress, then waits for the test."""

    def __init__(self, real):
        self.real = real
        self.halfway, self.go_on = threading.Event(), threading.Event()

    def __call__(self, run, progress, step, work):
        if progress == 40:
            AnalysisRun.objects.filter(pk=run.pk).update(progress=progress, step=step)
            self.halfway.set()
            self.go_on.wait(20)
        return self.real(run, progress, step, work)


def work_off_the_queue():
    from django_tasks_db.management.commands.db_worker import Worker

    try:
        Worker(queue_names=["default"], interval=0.2, batch=True, backend_name="default", startup_delay=False,
               max_tasks=None, worker_id="browser-test", excluded_queue_names=[]).run()
    finally:
        connections.close_all()


def test_run_analysis_watch_the_progress_and_see_the_pareto_chart(page, console, log_in, head, manager,
                                                                   monkeypatch):
    held = HeldStep(engine._step)
    monkeypatch.setattr(engine, "_step", held)
    last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=10)
    for name, amount in (("ООО Север", 900), ("ООО Юг", 80), ("ООО Запад", 20)):
        sale(CounterpartyFactory(main_manager=manager, name=name), last_month, amount, seller=manager)

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
        assert held.halfway.wait(30), "the worker did not pick up the run"
        expect(bar).to_have_text("40 %")
        expect(page.get_by_test_id("run-step")).to_have_text("Classifying clients")
    finally:
        held.go_on.set()
    expect(bar).to_have_text("100 %", timeout=30_000)
    expect(page.get_by_test_id("run-status-label")).to_have_text("Done")
    summary = page.get_by_test_id("run-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_test_id("summary-abc")).to_contain_text("A")
    expect(page.get_by_test_id("run-rows")).to_contain_text("ООО Север")
    assert page.get_by_test_id("run-status").get_attribute("hx-trigger") is None  # polling stopped
    assert AnalysisRun.objects.get().status == "done"

    page.get_by_test_id("report-link").first.click()
    page.wait_for_url("**/reports/abc/**")
    expect(page.locator("canvas[data-chart]")).to_have_count(1)
    page.wait_for_function("() => [...document.querySelectorAll('canvas[data-chart]')]"
                           ".every((c) => c.chart && c.width > 0)")
    kinds = page.evaluate("() => { const c = document.querySelector('canvas[data-chart]').chart;"
                          " return [c.config.type, c.data.datasets.map((d) => d.type || c.config.type)]; }")
    assert kinds[0] == "bar" and "line" in kinds[1]  # bars per client, the cumulative share as a line
    expect(page.get_by_test_id("clients-table")).to_contain_text("ООО Юг")
    worker.join(20)
    assert [line for line in console if line.startswith(("error", "pageerror"))] == []
