"""``manage.py db_worker`` that first reaps the tasks a killed worker left RUNNING.

It takes every option of ``db_worker``; its default worker id names this process (see
``core.scheduling.worker_id``) so a later reaper on this machine can tell when it died.
"""

from django_tasks_db.management.commands import db_worker

from core import scheduling


class Command(db_worker.Command):
    help = "Reap the tasks of dead workers, then run the database background worker (db_worker)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(worker_id=scheduling.worker_id())

    def handle(self, *args, **options):
        for old, new in scheduling.reap_stale_tasks():
            self.stdout.write(f"Reaped task {old} of a dead worker" + (f"; enqueued again as {new}" if new else ""))
        return super().handle(*args, **options)
