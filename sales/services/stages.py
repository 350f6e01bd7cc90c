"""Moving deals between stages: optimistic locking, the stage history, and the stage rules."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Stage, StageChange


def move_deal(deal, stage, user, expected_version, now=None, lost_reason=None, comment=None):
    """Put ``deal`` into ``stage``; returns the StageChange, or None if it already is there.

    ``expected_version`` is the version the user saw: a stale one raises ConflictError from
    ``deal.save()``. The stage's rules run in the background worker once the move commits.
    A lost stage needs ``lost_reason`` (a LostReason); ``comment`` is the won / lost comment.
    """
    if stage.pipeline_id != deal.stage.pipeline_id:
        raise ValidationError(_("The stage belongs to another pipeline."))
    if deal.stage_id != stage.pk:
        check_lost_reason(stage, lost_reason or deal.lost_reason)
    now = now or timezone.now()
    with transaction.atomic():
        deal.version = expected_version
        previous = deal.stage
        if previous.pk == stage.pk:
            return None
        deal.stage = stage
        # A new stage brings its own probability; the user may still edit it afterwards.
        deal.probability = stage.probability
        deal.closed_at = now if stage.is_closed else None
        if stage.kind != Stage.Kind.LOST:
            deal.lost_reason = None
        elif lost_reason is not None:
            deal.lost_reason = lost_reason
        if comment is not None and stage.is_closed:
            deal.result_comment = comment
        deal.save()
        return stage_entered(deal, previous, user, now)


def check_lost_reason(stage, lost_reason):
    """A deal goes into a lost stage only with the reason it was lost (reports group by it)."""
    if stage.kind == Stage.Kind.LOST and lost_reason is None:
        raise ValidationError({"lost_reason": _("Choose why the deal was lost.")})


def stage_entered(deal, previous, user, now=None):
    """Log that ``deal`` entered its current stage and queue that stage's rules after commit.

    Also used by the edit form when the stage is changed there, and for new deals (previous None).
    """
    now = now or timezone.now()
    StageChange.objects.filter(deal=deal, left_at=None).update(left_at=now)
    change = StageChange.objects.create(deal=deal, from_stage=previous, to_stage=deal.stage,
                                        moved_by=user, moved_at=now)
    if deal.stage.rules.filter(is_active=True).exists():
        from ..tasks import run_stage_rules

        transaction.on_commit(lambda: run_stage_rules.enqueue(change.pk))
    return change

