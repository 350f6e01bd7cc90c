"""Call events from the PBX → calls, card pop-ups, interactions and call-back tasks.

``record_event(event, actor)`` applies one validated event (see ``api.CallEventSerializer`` and
docs/telephony.md) to the call it names, under the call's row lock, so that:

- a repeated event changes nothing (fields are only filled, never moved back);
- events may come out of order: an ``ended`` without an ``answered`` (a missed call, or an
  answered one when it names ``answered_by`` or a talk ``duration``), an ``answered`` after the
  ``ended`` (the missed call becomes completed and its open call-back task is cancelled);
- a completed call with a known client becomes one interaction, a missed incoming call one
  "call back" task (``Call.interaction`` / ``Call.task`` are set in the same transaction).
"""

import datetime as dt
import math

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from activities.models import Importance, Interaction, InteractionType, Task
from clients.models import PHONE_KINDS, ContactInfo, Counterparty
from clients.validators import format_phone, normalize_phone
from core import access
from core.working_time import add_working_time

from ..models import Call, CallAlert, PhoneExtension

RINGING, ANSWERED, ENDED = "ringing", "answered", "ended"
EVENTS = (RINGING, ANSWERED, ENDED)
# A missed call is to be called back within this much working time.
CALLBACK_WITHIN_MINUTES = 30
# A pop-up not picked up by a page within this time is stale (the call is long over).
ALERT_FRESH_FOR = dt.timedelta(minutes=5)


def normalise_number(value):
    """E.164 when the number parses (+7 (495) 123-45-67 and 84951234567 alike), else as sent."""
    value = (value or "").strip()
    try:
        return normalize_phone(value)
    except ValidationError:
        return value


def user_of_extension(extension):
    if not extension:
        return None
    line = PhoneExtension.objects.filter(extension=extension, user__is_active=True).select_related("user").first()
    return line.user if line else None


def match_number(number):
    """(counterparty, contact person) whose live phone contact information is ``number``.

    A person's own phone names the person; several clients with the number: the oldest record.
    """
    if not number.startswith("+"):
        return None, None
    infos = (ContactInfo.objects.filter(kind__in=PHONE_KINDS, value=number, counterparty__deleted_at__isnull=True)
             .select_related("counterparty", "contact_person").order_by("counterparty_id", "pk"))
    for info in infos:
        person = info.contact_person
        if person is not None and person.deleted_at is not None:
            person = None
        return info.counterparty, person
    return None, None


def record_event(event, actor):
    """Apply one event (a dict as ``CallEventSerializer.validated_data``); returns the call."""
    with transaction.atomic():
        call = Call.all_objects.select_for_update().filter(call_id=event["call_id"]).first()
        if call is None:
            try:
                with transaction.atomic():
                    call = new_call(event, actor)
            except IntegrityError:  # another request created it meanwhile: apply to that one
                call = Call.all_objects.select_for_update().get(call_id=event["call_id"])
        before = snapshot(call)
        apply(call, event)
        if snapshot(call) != before:
            call._history_user = actor
            call.save()
        owe_alerts(call)
        after_call(call, actor)
        if call.recording_url and not before["recording_url"]:
            add_recording(call, actor)
    return call


def add_recording(call, actor):
    """A recording link that came after the interaction was written (a later "ended") joins it."""
    interaction = Interaction.all_objects.filter(pk=call.interaction_id).first()
    if interaction is None or call.recording_url in interaction.content:
        return
    with translation.override(interaction.responsible.preferred_language):
        line = _("Recording: %(url)s") % {"url": call.recording_url}
    interaction.content = f"{interaction.content}\n{line}".strip()
    interaction._history_user = actor
    interaction.save()


def new_call(event, actor):
    direction = event["direction"]
    number = normalise_number(event["from"] if direction == Call.Direction.INCOMING else event["to"])
    counterparty, person = match_number(number)
    at = event["at"]
    if event["event"] == ENDED and event.get("duration"):
        at -= dt.timedelta(seconds=event["duration"])
    call = Call(call_id=event["call_id"], direction=direction, from_number=event["from"].strip(),
                to_number=event["to"].strip(), number=number, counterparty=counterparty, contact_person=person,
                started_at=at)
    call._history_user = actor
    call.save()
    return call


def snapshot(call):
    return {f.attname: getattr(call, f.attname) for f in Call._meta.concrete_fields}


def apply(call, event):
    kind, at = event["event"], event["at"]
    if not call.extension and event.get("extension"):
        call.extension = event["extension"]
    if call.user_id is None:
        call.user = event.get("user") or user_of_extension(call.extension)
    if kind == RINGING:
        call.started_at = min(call.started_at, at)
    elif kind == ANSWERED:
        answer(call, event, at)
    else:
        if event.get("duration") is not None:
            call.duration = event["duration"]
        if event.get("recording_url"):
            call.recording_url = event["recording_url"]
        if event.get("answered_by") or (call.answered_at is None and event.get("duration")):
            answer(call, event, at - dt.timedelta(seconds=event.get("duration") or 0))
        if call.ended_at is None:
            call.ended_at = max(at, call.started_at)
            call.state = Call.State.COMPLETED if call.answered_at else Call.State.MISSED
    if call.answered_at and call.ended_at and call.duration is None:
        call.duration = max(0, int((call.ended_at - call.answered_at).total_seconds()))


def answer(call, event, at):
    """Who answered, and when (the first answer counts; a late one turns a missed call completed)."""
    extension = event.get("answered_by") or event.get("extension") or call.extension
    if call.answered_at is None:
        call.answered_at = max(at, call.started_at)
    if not call.answered_extension and extension:
        call.answered_extension = extension
    if call.answered_by_id is None:
        if event.get("answered_by"):  # named: that line's user, or nobody we know
            call.answered_by = user_of_extension(event["answered_by"])
        else:
            call.answered_by = user_of_extension(extension) or event.get("user") or call.user
    if call.state == Call.State.RINGING:
        call.state = Call.State.ANSWERED
    elif call.state == Call.State.MISSED:
        call.state = Call.State.COMPLETED


def owe_alerts(call):
    """A pop-up for the line's user while it rings, and for whoever answers."""
    if call.is_finished:
        return
    for user in {u for u in (call.user, call.answered_by) if u is not None}:
        CallAlert.objects.get_or_create(call=call, user=user)


def after_call(call, actor):
    if call.state == Call.State.COMPLETED and call.counterparty_id and call.interaction_id is None:
        call.interaction = create_interaction(call, actor)
        if call.task_id and call.task.state == Task.State.OPEN:  # a late "answered": no call-back needed
            call.task.state = Task.State.CANCELLED
            call.task._history_user = actor
            call.task.save()
        call._history_user = actor
        call.save()
    elif (call.state == Call.State.MISSED and call.direction == Call.Direction.INCOMING
          and call.task_id is None):
        task = create_callback_task(call, actor)
        if task is not None:
            call.task = task
            call._history_user = actor
            call.save()


def _who(call):
    if call.counterparty_id is None:
        return format_phone(call.number)
    name = call.counterparty.name
    if call.contact_person_id:
        name = f"{call.contact_person} ({name})"
    return f"{name}, {format_phone(call.number)}"


def may_see_client(user, call):
    """Whether ``user`` may see the call's client (no client: nothing to hide)."""
    if user is None or not user.is_active:
        return False
    if call.counterparty_id is None:
        return True
    return Counterparty.objects.restrict(user).filter(pk=call.counterparty_id).exists()


def create_interaction(call, actor):
    """Recorded on who answered (else the line's user) when they may see the client; another
    manager's client's call goes to its main manager, so the client stays out of their lists."""
    mine = next((u for u in (call.answered_by, call.user) if may_see_client(u, call)), None)
    responsible = mine or call.counterparty.main_manager or call.answered_by or call.user or actor
    incoming = call.direction == Call.Direction.INCOMING
    code = "incoming_call" if incoming else "outgoing_call"
    with translation.override(responsible.preferred_language):
        subject = (_("Incoming call from %(who)s") if incoming else _("Call to %(who)s")) % {"who": _who(call)}
        lines = [_("Duration: %(duration)s") % {"duration": call.duration_text or "0:00"}]
        if call.answered_by_id and call.answered_by != responsible:
            lines.append(_("Answered by: %(user)s") % {"user": call.answered_by})
        if call.answered_extension or call.extension:
            lines.append(_("Extension: %(extension)s") % {"extension": call.answered_extension or call.extension})
        if call.recording_url:
            lines.append(_("Recording: %(url)s") % {"url": call.recording_url})
    interaction = Interaction(
        type=InteractionType.by_code(code), direction=call.direction, state=Interaction.State.DONE,
        subject=subject[:200], content="\n".join(lines), counterparty=call.counterparty, responsible=responsible,
        start=call.answered_at or call.started_at, end=call.ended_at,
        duration_minutes=max(1, math.ceil((call.duration or 0) / 60)))
    interaction._history_user = actor
    interaction.save()
    if call.contact_person_id:
        interaction.contact_persons.set([call.contact_person])
    return interaction


def callback_assignee(call):
    """The line's user, unless the caller is a client they may not see: then its main manager."""
    if may_see_client(call.user, call):
        return call.user
    manager = call.counterparty.main_manager if call.counterparty_id else None
    return manager if manager is not None and manager.is_active else None


def create_callback_task(call, actor):
    """The "call back" task of a missed incoming call; None when the call has nobody to give it to."""
    assignee = callback_assignee(call)
    if assignee is None:
        return None
    ended = call.ended_at or timezone.now()
    with translation.override(assignee.preferred_language):
        title = _("Call back %(who)s: missed call") % {"who": _who(call)}
        when = timezone.localtime(ended).strftime("%d.%m.%Y %H:%M")
        description = _("Missed incoming call at %(when)s.") % {"when": when}
    author = actor if actor is not None and actor.is_authenticated else assignee
    task = Task(title=title[:200], description=description, author=author, assignee=assignee,
                counterparty=call.counterparty, importance=Importance.HIGH,
                deadline=add_working_time(ended, minutes=CALLBACK_WITHIN_MINUTES))
    task._history_user = actor
    task.save()
    return task


def link_counterparty(call, counterparty, actor):
    """A client created (or found) for a call from an unknown number: the call joins it, and the
    finished call is recorded on it as if it had been known from the start."""
    with transaction.atomic():
        call = Call.all_objects.select_for_update().get(pk=call.pk)
        if call.counterparty_id is not None:
            return call
        call.counterparty = counterparty
        call._history_user = actor
        call.save()
        after_call(call, actor)
    return call


# --- The card pop-up ------------------------------------------------------------------------------

def has_line(user):
    return PhoneExtension.objects.filter(user=user).exists()


def claim_alerts(user):
    """The calls to pop up for ``user`` now, each once: claimed with a conditional update."""
    now = timezone.now()
    pending = (CallAlert.objects.filter(user=user, shown_at__isnull=True, created_at__gte=now - ALERT_FRESH_FOR)
               .select_related("call", "call__counterparty", "call__counterparty__main_manager",
                               "call__contact_person").order_by("created_at", "pk"))
    shown = []
    for alert in pending:
        if alert.call.is_finished or alert.call.is_deleted:
            continue
        if CallAlert.objects.filter(pk=alert.pk, shown_at__isnull=True).update(shown_at=now):
            shown.append(popup(alert.call, user))
    return shown


def popup(call, user):
    """What the pop-up may tell ``user`` about the caller.

    A client the user may see: name, contact person and a link to the card. A client the user may
    not see: only that the number belongs to a client and who manages it (so the call can be
    passed on), never the name. An unknown number: an offer to create a client with it.
    """
    counterparty = call.counterparty
    visible = counterparty is not None and Counterparty.objects.restrict(user).filter(pk=counterparty.pk).exists()
    return {
        "call": call,
        "counterparty": counterparty if visible else None,
        "person": call.contact_person if visible else None,
        "hidden_client": counterparty is not None and not visible,
        "manager": counterparty.main_manager if counterparty is not None and not visible else None,
        "can_create": counterparty is None and access.can(user, access.ADD, Counterparty),
    }


def users_by_username(username):
    return get_user_model().objects.filter(username=username, is_active=True).first()
