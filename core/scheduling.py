"""Periodic tasks that apps register for ``manage.py scheduler``, and the reaper of tasks whose
worker died.

An app registers its periodic tasks when its ``tasks`` module is imported (from its
``AppConfig.ready()``)::

    scheduling.register(send_emails, key=scheduling.EMAIL_QUEUE)
    scheduling.register(payment_reminders, due=payment_reminders_due)

The scheduler enqueues every registered task each loop (``every`` slows one down; ``due()``
skips it while it has nothing to do), unless the same task already waits in the queue.

django-tasks-db marks a row RUNNING when a worker claims it and nothing ever clears it if the
worker is killed (kill -9, OOM, power loss). ``reap_stale_tasks()`` marks such rows FAILED and
enqueues one-shot tasks (``send_email(id)``, ``run_stage_rules(id)``…) again with their
arguments; periodic ones are simply enqueued again by the scheduler. A row is stale when:

- its worker (``manage.py worker`` names itself host, PID namespace, PID and process start
  time) ran on this machine and that process is gone, or
- the worker cannot be checked from here (another machine, a plain ``db_worker``) and the task
  started more than ``STALE_AFTER`` ago.
"""

import dataclasses
import datetime
import hashlib
import logging
import os
import socket
from collections.abc import Callable
from functools import cache

from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from core import registry

logger = logging.getLogger(__name__)

# Key of the task that sends the queued emails, for apps that queue some and want them out now.
EMAIL_QUEUE = "email_queue"
# A task whose worker cannot be checked is presumed lost after this long (tasks here take seconds).
STALE_AFTER = datetime.timedelta(hours=1)
# A one-shot task is enqueued again until this many workers died running it (a task that
# kills its worker every time, e.g. out of memory, must not loop for ever).
MAX_ATTEMPTS = 3
WORKER_ID_PREFIX = "kw"


@dataclasses.dataclass(frozen=True)
class PeriodicTask:
    task: object  # a django_tasks Task
    due: Callable[[], bool] | None = None  # None: always; else enqueue only when it returns True
    every: datetime.timedelta | None = None  # None: every scheduler loop

    @property
    def name(self):
        return self.task.name

    @property
    def path(self):
        return self.task.module_path


def register(task, key=None, due=None, every=None, order=100):
    """Register ``task`` for the scheduler under ``key`` (default: its dotted path)."""
    return registry.periodic_tasks.register(key or task.module_path,
                                            PeriodicTask(task, due=due, every=every), order=order)


def enqueue_once(task, *args):
    """Enqueue unless the same task already waits in the queue (e.g. the worker is down): a
    stopped worker must not come back to thousands of identical jobs."""
    if DBTaskResult.objects.ready().filter(task_path=task.module_path).exists():
        return None
    return task.enqueue(*args)


def run_soon(key):
    """Enqueue the periodic task registered under ``key`` now (once), if an app provides it:
    lets an app trigger another's work without importing it."""
    if key in registry.periodic_tasks:
        return enqueue_once(registry.periodic_tasks[key].task)
    return None


# --- Reaping tasks of dead workers -----------------------------------------------------------

class WorkerLost(Exception):
    """Recorded as the failure of a task whose worker died while running it."""


@cache
def _node():
    """This machine and PID namespace: PIDs are only comparable within one."""
    parts = [socket.gethostname()]
    for path in ("/proc/sys/kernel/random/boot_id", "/proc/self/ns/pid"):
        try:
            parts.append(os.readlink(path) if path.endswith("/pid") else open(path).read().strip())
        except OSError:
            pass
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:10]


def _start_time(pid):
    """The process start time (clock ticks since boot) on Linux, to tell a reused PID apart;
    "0" where /proc is missing; None when no such process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except FileNotFoundError:
        return None if os.path.isdir("/proc/self") else "0"
    except (OSError, IndexError):
        return "0"


def worker_id(pid=None):
    """A db_worker id naming this process, so a reaper on the same machine can tell it died."""
    pid = pid or os.getpid()
    return f"{WORKER_ID_PREFIX}:{_node()}:{pid}:{_start_time(pid) or 0}:{get_random_string(6)}"


def worker_alive(wid):
    """True / False for a worker of this machine; None when it cannot be told from here."""
    parts = (wid or "").split(":")
    if len(parts) != 5 or parts[0] != WORKER_ID_PREFIX or parts[1] != _node() or not parts[2].isdigit():
        return None
    pid, started = int(parts[2]), parts[3]
    now_started = _start_time(pid)
    if now_started is None:
        return False
    if started != "0" and now_started != "0":
        return now_started == started
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def is_stale(row, now):
    alive = worker_alive(row.worker_ids[-1] if row.worker_ids else None)
    if alive is None:
        return row.started_at is None or row.started_at < now - STALE_AFTER
    return not alive


def stale_tasks(now):
    return [row for row in DBTaskResult.objects.running().order_by("started_at") if is_stale(row, now)]


def reap_stale_tasks(now=None):
    """Fail the RUNNING tasks whose worker is gone and enqueue the one-shot ones again.

    Each row is claimed with a conditional UPDATE: of two reapers that read the same row, one
    updates it and enqueues, the other updates nothing and skips it. Returns the reaped rows'
    ids with the id of the task enqueued in their place (or None).
    """
    now = now or timezone.now()
    periodic = {item.path for item in registry.periodic_tasks}
    reaped = []
    for row in stale_tasks(now):
        with transaction.atomic():
            claimed = DBTaskResult.objects.filter(
                pk=row.pk, status=TaskResultStatus.RUNNING, started_at=row.started_at,
            ).update(status=TaskResultStatus.FAILED, finished_at=now,
                     exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                     traceback="")
            if not claimed:
                continue
            new_id, why = _enqueue_again(row, periodic)
            DBTaskResult.objects.filter(pk=row.pk).update(traceback=(
                f"WorkerLost: worker {', '.join(row.worker_ids) or '?'} stopped while running this "
                f"task (started {row.started_at:%Y-%m-%d %H:%M:%S %Z}); {why}\n"))
        logger.warning("Reaped task %s (%s): %s", row.pk, row.task_path, why)
        reaped.append((str(row.pk), new_id))
    return reaped


def _enqueue_again(row, periodic):
    if row.task_path in periodic:
        return None, "not enqueued again: the scheduler enqueues this periodic task."
    if len(row.worker_ids) >= MAX_ATTEMPTS:
        return None, f"given up after {len(row.worker_ids)} attempts."
    try:
        task = row.task
    except (ImportError, SuspiciousOperation):
        return None, "not enqueued again: the task no longer exists."
    result = task.enqueue(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
    # The workers that tried it, so MAX_ATTEMPTS counts across the copies.
    DBTaskResult.objects.filter(pk=result.id).update(worker_ids=row.worker_ids)
    return str(result.id), f"enqueued again as {result.id}."
