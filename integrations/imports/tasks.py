"""The import's background task (``manage.py worker``)."""

from django_tasks import task

from . import services


@task()
def run_import(job_id):
    return services.run(job_id)
