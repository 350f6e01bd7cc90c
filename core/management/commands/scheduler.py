"""Enqueue the registered periodic tasks every ``--interval`` seconds; ``db_worker`` runs them.

Apps register their tasks in ``core.registry.periodic_tasks`` (see ``core.scheduling``): today
reminder delivery, the overdue-task check, the birthday check, the email queue and, when
invoices are due, the sales payment reminders. A task already waiting in the queue is not
enqueued again. Finished task results older than a day are pruned once an hour so the queue
table stays small, and tasks left RUNNING by a killed worker are reaped at start and every few
minutes. Several schedulers may run: the tasks and the reaper are safe to run concurrently.
"""

import logging
import signal
import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core import registry, scheduling

logger = logging.getLogger(__name__)

PRUNE_EVERY = timedelta(hours=1)
REAP_EVERY = timedelta(minutes=5)
KEEP_RESULTS = timedelta(days=1)


class Command(BaseCommand):
    help = "Enqueue the periodic background tasks (reminders, overdue tasks, birthdays, email…)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=30.0,
                            help="Seconds between loops (default: %(default)s).")
        parser.add_argument("--once", action="store_true", help="Enqueue once and exit.")

    def handle(self, *args, interval, once, **options):
        self.running = True
        self.last_enqueued = {}
        if not once:
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        last = {"prune": None, "reap": None}
        while True:
            try:
                self.housekeeping(last)
                queued = self.tick()
            except Exception:
                if once:
                    raise
                # The database may be restarting: keep looping rather than die silently.
                logger.exception("Scheduler loop failed; retrying in %s s", interval)
                queued = []
            if options["verbosity"] > 1 or once:
                self.stdout.write(f"Enqueued: {', '.join(queued) or 'nothing'}")
            if once or not self.running:
                return
            self.sleep(interval)
            if not self.running:
                return
            # Like a request: drop a connection the database closed while we slept.
            close_old_connections()

    def housekeeping(self, last):
        now = timezone.now()
        if last["reap"] is None or now - last["reap"] >= REAP_EVERY:
            for old, new in scheduling.reap_stale_tasks(now):
                self.stdout.write(f"Reaped task {old} of a dead worker" + (f"; enqueued again as {new}" if new else ""))
            last["reap"] = now
        if last["prune"] is None or now - last["prune"] >= PRUNE_EVERY:
            self.prune()
            last["prune"] = now

    def tick(self):
        now = timezone.now()
        queued = []
        for key, item in registry.periodic_tasks.items():
            if item.every and key in self.last_enqueued and now - self.last_enqueued[key] < item.every:
                continue
            if item.due is not None and not item.due():
                continue  # nothing to do: an idle loop adds nothing to the queue
            if scheduling.enqueue_once(item.task) is not None:
                queued.append(item.name)
            self.last_enqueued[key] = now
        return queued

    def prune(self):
        old = timezone.now() - KEEP_RESULTS
        DBTaskResult.objects.finished().filter(finished_at__lte=old).delete()

    def sleep(self, seconds):
        end = time.monotonic() + seconds
        while self.running and time.monotonic() < end:
            time.sleep(min(1.0, end - time.monotonic()))

    def stop(self, signum, frame):
        self.running = False
