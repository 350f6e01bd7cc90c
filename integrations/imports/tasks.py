"""The import's background tasks (``manage.py worker``): validating a big file, running an import."""

from django_tasks import task

from . import services


@task()
def run_import(job_id):
    return services.run(job_id)


@task()
def validate_import(job_id, round_):
    return services.validate_in_worker(job_id, round_)
