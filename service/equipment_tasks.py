"""The daily reminders before warranties and service contracts end (run by the scheduler)."""

import datetime

from django_tasks import task

from core import scheduling

from . import equipment_services


@task()
def service_end_reminders():
    sent = equipment_services.send_end_reminders()
    if sent:
        scheduling.run_soon(scheduling.EMAIL_QUEUE)  # their email copies go out now
    return sent


scheduling.register(service_end_reminders, order=70, every=datetime.timedelta(hours=1))
