"""What complaints do besides being edited: state moves, subtasks, the closing call and the
notices of overdue complaints and subtasks (exactly once, like activities' task notices)."""

import logging

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from activities.models import Interaction, InteractionType
from activities.services.notifications import can_see_counterparty, in_language_of, notify, url_of
from core.access import Role

from .models import Complaint, ComplaintTask
from .models.complaints import open_complaint

logger = logging.getLogger(__name__)
BATCH = 500


def change_state(complaint, state, user, decision=None):
    """Move ``complaint`` to ``state`` (a ValidationError naming the field if the flow forbids it)."""
    if state not in Complaint.State.values:
        raise ValidationError({"state": _("Unknown state.")})
    old = complaint.state
    complaint.state = state
    if decision is not None:
        complaint.decision = decision
    try:
        complaint.check_transition(old)
    except ValidationError:
        complaint.state = old
        raise
    complaint.save()
    return complaint


def record_closing_call(complaint, user, result, satisfaction=None, when=None, close=False):
    """The call to the client that closes the complaint: an outgoing call interaction whose basis
    is the complaint, linked from it. ``close``: a decided complaint is closed with it (a
    complaint cannot be closed before its closing call)."""
    if not result.strip():
        raise ValidationError({"result": _("Write what the client said.")})
    when = when or timezone.now()
    with transaction.atomic():
        call = Interaction.objects.create(
            type=InteractionType.by_code("outgoing_call"), direction=Interaction.Direction.OUTGOING,
            state=Interaction.State.DONE, subject=(_("Closing call: %(complaint)s") % {"complaint": complaint})[:200],
            counterparty_id=complaint.counterparty_id, responsible=user, start=when, result=result,
            satisfaction=satisfaction, basis_type=ContentType.objects.get_for_model(Complaint),
            basis_id=complaint.pk)
        if complaint.contact_person_id:
            call.contact_persons.add(complaint.contact_person_id)
        complaint.closing_call = call
        if close and complaint.state == Complaint.State.DECIDED:
            complaint.state = Complaint.State.CLOSED
            complaint.check_transition(Complaint.State.DECIDED)
        complaint.save()
    return call


def complaint_calls(complaint):
    return Interaction.objects.filter(basis_type=ContentType.objects.get_for_model(Complaint),
                                      basis_id=complaint.pk).select_related("type", "responsible")


# --- Overdue notices ------------------------------------------------------------------------


def heads():
    return list(get_user_model().objects.filter(is_active=True, role=Role.COMPANY_HEAD))


def _stamp(moment):
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _not_notified():
    return Q(overdue_notified_at__isnull=True) | Q(overdue_notified_at__lt=F("deadline"))


def overdue_complaints(now):
    return (Complaint.objects.filter(open_complaint(), deadline__lt=now)
            .filter(counterparty__deleted_at__isnull=True).filter(_not_notified()))


def overdue_tasks(now):
    return (ComplaintTask.objects.filter(done_at__isnull=True, deadline__lt=now)
            .filter(complaint__deleted_at__isnull=True, complaint__counterparty__deleted_at__isnull=True)
            .filter(_not_notified()))


def notices_due(now=None):
    now = now or timezone.now()
    return overdue_complaints(now).exists() or overdue_tasks(now).exists()


def notify_overdue(now=None):
    """Notify the responsible and the company heads once when a complaint or a subtask passes its
    deadline. The row is claimed with a conditional UPDATE (two workers notify once); a deadline
    moved later that passes again is a new notice (the source key has the deadline)."""
    now = now or timezone.now()
    notified = 0
    for model, rows in ((Complaint, overdue_complaints(now)), (ComplaintTask, overdue_tasks(now))):
        for pk in list(rows.values_list("pk", flat=True)[:BATCH]):
            try:
                notified += _notify_one(model, pk, now)
            except Exception:
                logger.exception("Overdue notice for %s %s failed", model.__name__, pk)  # retried next pass
    return notified


def _notify_one(model, pk, now):
    with transaction.atomic():
        claimed = model.objects.filter(pk=pk, deadline__lt=now).filter(_not_notified()).update(
            overdue_notified_at=now)  # not save(): no version bump under a user's open form
        if not claimed:
            return 0
        row = model.objects.select_related("responsible").get(pk=pk)
        complaint = row if model is Complaint else Complaint.all_objects.select_related("responsible").get(
            pk=row.complaint_id)
        recipients = {u for u in [row.responsible, *heads()] if u is not None}
        stamp = int(row.deadline.timestamp())
        kind = "complaint-overdue" if model is Complaint else "complaint-task-overdue"
        for user in recipients:
            with in_language_of(user):
                visible = can_see_counterparty(user, complaint.counterparty_id)
                if model is Complaint:
                    text = _("Complaint overdue: %(complaint)s (deadline %(deadline)s)") % {
                        "complaint": complaint if visible else complaint.number, "deadline": _stamp(row.deadline)}
                else:
                    text = _("Complaint subtask overdue: %(task)s — %(complaint)s (deadline %(deadline)s)") % {
                        "task": row.department, "complaint": complaint if visible else complaint.number,
                        "deadline": _stamp(row.deadline)}
                notify(user, text, url=url_of(complaint) if visible else "",
                       source=f"{kind}:{pk}:{user.pk}:{stamp}", email_subject=text[:150], now=now)
    return 1
