"""Background tasks of the sales app, run by ``manage.py db_worker``."""

from django_tasks import task

from .services import rules


@task()
def run_stage_rules(change_id):
    return [t.pk for t in rules.apply_stage_rules(change_id)]
