"""Stage rules: entering a stage creates tasks with deadlines in working time.

Run by the background worker (sales.tasks.run_stage_rules). Idempotent: DealRuleRun holds one
row per (deal, rule), locked while the rule runs; a new task is made only when the one made
before is no longer open, so moving a deal back and forth does not pile up duplicate tasks and
a retried worker run changes nothing.
"""

import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from activities.models import Task
from activities.services import notifications
from core.working_time import add_working_time

from ..models import DealRuleRun, StageChange, StageRule

logger = logging.getLogger(__name__)


def apply_stage_rules(change_id):
    """Create the tasks of the rules of the stage a deal entered; returns the tasks created."""
    change = StageChange.objects.select_related("deal", "to_stage", "moved_by").filter(pk=change_id).first()
    if change is None:
        return []
    deal = change.deal
    if deal.is_deleted or deal.stage_id != change.to_stage_id:
        return []  # the deal moved on (or was deleted) before the worker got to it
    created = []
    for rule in StageRule.objects.filter(stage=change.to_stage, is_active=True).select_related("user"):
        task = apply_rule(rule, change)
        if task is not None:
            created.append(task)
    return created


def apply_rule(rule, change):
    deal = change.deal
    with transaction.atomic():
        run, _created = DealRuleRun.objects.get_or_create(deal=deal, rule=rule)
        run = DealRuleRun.objects.select_for_update(of=("self",)).select_related("task").get(pk=run.pk)
        if run.task is not None and run.task.state == Task.State.OPEN and not run.task.is_deleted:
            return None
        assignee = rule_assignee(rule, deal)
        deadline = add_working_time(change.moved_at, **{rule.deadline_unit: rule.deadline_amount})
        author = change.moved_by or deal.responsible
        task = Task.objects.create(
            title=rule.title, description=_deal_description(rule, deal), author=author,
            assignee=assignee, counterparty=deal.counterparty, deadline=deadline)
        run.task = task
        run.save(update_fields=["task", "updated_at"])
        notifications.notify_task_assigned(task, by=author)
    return task


def _deal_description(rule, deal):
    text = _("Deal: %(deal)s") % {"deal": deal.title}
    return f"{text}\n{rule.description}".strip()


def rule_assignee(rule, deal):
    """The user the rule names; for a role, its active member with the fewest open tasks."""
    if rule.assignee_kind == StageRule.AssigneeKind.USER and rule.user and rule.user.is_active:
        return rule.user
    if rule.assignee_kind == StageRule.AssigneeKind.ROLE and rule.role:
        member = (get_user_model().objects.filter(is_active=True, role=rule.role)
                  .annotate(load=Count("tasks", filter=Q(tasks__state=Task.State.OPEN,
                                                         tasks__deleted_at__isnull=True)))
                  .order_by("load", "pk").first())
        if member is not None:
            return member
        logger.warning("Stage rule %s: nobody has the role %s; the deal's responsible gets it", rule.pk, rule.role)
    return deal.responsible
