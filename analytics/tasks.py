"""Background tasks of the analytics app (``manage.py db_worker``) and the nightly run."""

from django_tasks import task

from .services import engine


@task()
def run_analysis(run_id):
    from .models import AnalysisRun

    run = AnalysisRun.objects.get(pk=run_id)
    engine.compute(run)
    return run.pk
