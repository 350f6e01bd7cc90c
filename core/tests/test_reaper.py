"""Tasks left RUNNING by a killed worker are failed and, if one-shot, enqueued again once."""

import datetime
import os
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from activities import tasks as activities_tasks
from activities.services.email import queue_email
from activities.tests.background import ProcessDB
from core import scheduling
from sales import tasks as sales_tasks

HOUR = datetime.timedelta(hours=1)


def running(task, *args, worker="test-worker", started=None, attempts=()):
    """A row as db_worker leaves it when killed mid-task."""
    result = task.enqueue(*args)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, started_at=started or timezone.now(), worker_ids=[*attempts, worker])
    return DBTaskResult.objects.get(pk=result.id)


def dead_worker_id():
    """The id a worker on this machine had, whose process has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    wid = scheduling.worker_id(proc.pid)
    proc.kill()
    proc.wait()
    return wid


def statuses():
    return sorted(DBTaskResult.objects.values_list("task_path", "status"))


@pytest.mark.django_db
class TestReaper:
    def test_liveness_of_workers_on_this_machine(self):
        assert scheduling.worker_alive(scheduling.worker_id()) is True
        assert scheduling.worker_alive(dead_worker_id()) is False
        kw, node, pid, started, rand = scheduling.worker_id().split(":")
        assert scheduling.worker_alive(f"{kw}:{node}:{pid}:{int(started) - 1}:{rand}") is False  # reused PID
        assert scheduling.worker_alive(f"{kw}:0000000000:{pid}:{started}:{rand}") is None  # other machine
        assert scheduling.worker_alive("a-random-db_worker-id") is None

    def test_one_shot_task_of_a_dead_worker_is_failed_and_enqueued_again_with_its_arguments(self):
        row = running(activities_tasks.send_email, 42, worker=dead_worker_id())
        ((old, new),) = scheduling.reap_stale_tasks()
        row.refresh_from_db()
        assert old == str(row.pk) and row.status == TaskResultStatus.FAILED
        assert row.exception_class_path == "core.scheduling.WorkerLost"
        assert f"enqueued again as {new}" in row.traceback
        again = DBTaskResult.objects.get(pk=new)
        assert again.status == TaskResultStatus.READY and again.task_path == row.task_path
        assert again.args_kwargs == {"args": [42], "kwargs": {}}
        assert again.worker_ids == row.worker_ids  # counts the attempts
        assert scheduling.reap_stale_tasks() == []  # once

    def test_periodic_task_is_failed_but_left_to_the_scheduler(self):
        row = running(activities_tasks.deliver_reminders, worker=dead_worker_id())
        assert scheduling.reap_stale_tasks() == [(str(row.pk), None)]
        assert statuses() == [("activities.tasks.deliver_reminders", TaskResultStatus.FAILED)]
        assert "the scheduler enqueues this periodic task" in DBTaskResult.objects.get().traceback

    def test_a_task_that_keeps_killing_its_worker_is_given_up(self):
        running(sales_tasks.run_stage_rules, 7, worker=dead_worker_id(), attempts=["w1", "w2"])
        assert scheduling.reap_stale_tasks()[0][1] is None
        assert "given up after 3 attempts" in DBTaskResult.objects.get().traceback

    def test_live_worker_is_left_alone_however_long_it_runs(self):
        running(activities_tasks.send_email, 1, worker=scheduling.worker_id(), started=timezone.now() - 24 * HOUR)
        assert scheduling.reap_stale_tasks() == []
        assert statuses() == [("activities.tasks.send_email", TaskResultStatus.RUNNING)]

    def test_worker_that_cannot_be_checked_is_presumed_dead_after_the_timeout(self):
        recent = running(activities_tasks.send_email, 1, worker="other-host", started=timezone.now() - HOUR / 2)
        old = running(activities_tasks.send_email, 2, worker="other-host", started=timezone.now() - 2 * HOUR)
        assert [r[0] for r in scheduling.reap_stale_tasks()] == [str(old.pk)]
        recent.refresh_from_db()
        assert recent.status == TaskResultStatus.RUNNING

    def test_two_reapers_at_once_enqueue_again_only_once(self, monkeypatch):
        running(activities_tasks.send_email, 5, worker=dead_worker_id())
        seen_by_both = scheduling.stale_tasks(timezone.now())
        assert len(scheduling.reap_stale_tasks()) == 1
        monkeypatch.setattr(scheduling, "stale_tasks", lambda now: seen_by_both)  # read before the claim
        assert scheduling.reap_stale_tasks() == []
        assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1

    def test_scheduler_reaps_at_start(self, capsys):
        running(activities_tasks.send_email, 3, worker=dead_worker_id())
        call_command("scheduler", "--once")
        assert "Reaped task" in capsys.readouterr().out
        assert DBTaskResult.objects.filter(task_path="activities.tasks.send_email", status="READY").count() == 1


# --- A real worker process killed with SIGKILL in the middle of a task ----------------------------

SETUP = """
from core.models import User
from activities.services.email import queue_email
from activities.tasks import send_email
u = User.objects.create(username="m", email="m@example.com", role="sales_manager")
send_email.enqueue(queue_email("client@example.com", "Тема", "Текст", created_by=u).pk)
"""

HANGING_WORKER = """
import pathlib, time
from django.core.management import call_command
from activities.services import email
def hang(*args, **kwargs):
    pathlib.Path({marker!r}).touch()
    time.sleep(600)
email.send_email_now = hang
call_command("worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0")
"""


def kill_worker_mid_task(start_shell, marker):
    worker = start_shell(HANGING_WORKER.format(marker=str(marker)))
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert worker.poll() is None, worker.communicate()
            assert time.monotonic() < deadline, "the worker never started the task"
            time.sleep(0.05)
    finally:
        worker.kill()  # SIGKILL: no handler runs, the row stays RUNNING
        worker.communicate(timeout=30)
    return worker


def test_real_worker_killed_mid_task_is_reaped_on_the_next_worker_start(tmp_path):
    db = ProcessDB(tmp_path)
    db.shell(SETUP)
    kill_worker_mid_task(db.start_shell, tmp_path / "started")
    ((status, worker_ids),) = db.query("SELECT status, worker_ids FROM django_tasks_database_dbtaskresult")
    assert status == "RUNNING" and worker_ids.startswith('["kw:')
    restarted = db.manage("worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0")
    assert "Reaped task" in restarted.stdout
    assert db.query("SELECT status, exception_class_path FROM django_tasks_database_dbtaskresult "
                    "ORDER BY enqueued_at") == [("FAILED", "core.scheduling.WorkerLost"), ("SUCCESSFUL", "")]
    assert db.query("SELECT state FROM activities_outgoingemail") == [("sent",)]


@pytest.mark.django_db(transaction=True)
def test_real_worker_killed_mid_task_is_reaped_on_postgresql(tmp_path, manager):
    if connection.vendor != "postgresql":
        pytest.skip("the SQLite variant above runs on a shared database file")
    from django.conf import settings

    activities_tasks.send_email.enqueue(queue_email("client@example.com", "Тема", "Текст", created_by=manager).pk)
    s = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DJANGO_SETTINGS_MODULE="klientura.test_settings", DATABASE_URL=(
        f"postgresql://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"))
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]

    def start_shell(code):
        return subprocess.Popen([*manage, "shell", "--no-imports", "-c", code], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=settings.BASE_DIR)

    kill_worker_mid_task(start_shell, tmp_path / "started")
    connection.close()  # see the other processes' commits afresh
    assert DBTaskResult.objects.get().status == TaskResultStatus.RUNNING
    restarted = subprocess.run([*manage, "worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0"],
                               env=env, capture_output=True, text=True, timeout=120, cwd=settings.BASE_DIR)
    assert restarted.returncode == 0, restarted.stderr
    assert "Reaped task" in restarted.stdout
    rows = DBTaskResult.objects.order_by("enqueued_at")
    assert [(r.status, r.exception_class_path) for r in rows] == [
        (TaskResultStatus.FAILED, "core.scheduling.WorkerLost"), (TaskResultStatus.SUCCESSFUL, "")]
    from activities.models import OutgoingEmail

    assert list(OutgoingEmail.objects.values_list("state", flat=True)) == ["sent"]
