"""The survey rules' periodic task: each active rule runs once per period (see service.surveys)."""

from django_tasks import task

from core import scheduling

from . import surveys


@task()
def run_survey_rules():
    made = surveys.run_rules()
    if made:
        scheduling.run_soon(scheduling.EMAIL_QUEUE)
    return made


scheduling.register(run_survey_rules, due=surveys.rules_due, order=70)
