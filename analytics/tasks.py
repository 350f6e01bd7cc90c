"""Background tasks of the analytics app (``manage.py db_worker``) and the nightly run."""

import datetime

from django.utils import timezone
from django_tasks import task

from core import scheduling

from .models import AnalysisRun, AnalysisSettings
from .services import engine, runs, warnings

NIGHT_FROM = datetime.time(1, 0)  # the nightly run starts after this local time


@task()
def run_analysis(run_id):
    """Compute a queued run (started from the page or the API), then tell managers of new risks."""
    run = AnalysisRun.objects.get(pk=run_id)
    if run.status != AnalysisRun.Status.QUEUED:
        return run.pk  # a retry of a run another worker took
    engine.compute(run)
    run.refresh_from_db()
    warnings.send_digest(run)
    scheduling.run_soon(scheduling.EMAIL_QUEUE)
    return run.pk


@task()
def nightly_analysis():
    if not nightly_due():
        return None
    run = runs.run_now(nightly=True)
    warnings.send_digest(run)
    scheduling.run_soon(scheduling.EMAIL_QUEUE)
    return run.pk


def nightly_due(now=None):
    """After 01:00 local time, once a day, if the settings ask for it (two cheap queries)."""
    local = timezone.localtime(now or timezone.now())
    if local.time() < NIGHT_FROM or not AnalysisSettings.load().nightly:
        return False
    return not AnalysisRun.objects.filter(nightly=True, analysis_date=local.date()).exists()


scheduling.register(nightly_analysis, due=nightly_due, order=60)
