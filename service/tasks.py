"""Background tasks of the service app; ``manage.py scheduler`` enqueues the periodic ones."""

from django_tasks import task

from core import scheduling

from . import complaints


@task()
def complaint_overdue_notices():
    """Notify once about complaints and complaint subtasks past their deadline."""
    notified = complaints.notify_overdue()
    if notified:
        scheduling.run_soon(scheduling.EMAIL_QUEUE)
    return notified


scheduling.register(complaint_overdue_notices, due=complaints.notices_due, order=70)
