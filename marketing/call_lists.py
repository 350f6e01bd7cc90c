"""Call lists at work: filling from a segment or group, the operators' queue, call results.

The queue hands each entry to one operator at a time: ``claim_next`` takes the first due entry
with ``UPDATE … WHERE pk = … AND version = …`` (the version the candidate was read with) and
only the operator whose UPDATE changed the row gets it; a second operator's UPDATE matches no
row and moves on to the next candidate. A claim is a lease: an entry left "calling" past
``claimed_until`` is due again. A result is saved through ``BaseModel.save``'s version check in
the same transaction as its interaction, so a result for an entry someone else took since is
refused whole (no stray interaction).
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from activities.models import Interaction, InteractionType
from clients.models import ContactInfo, ContactKind
from core import access

from .models import CallList, CallListEntry, CallQuestion, GroupMember
from .segments import segment_queryset

State = CallListEntry.State
LEASE = dt.timedelta(minutes=15)
BATCH = 1000
CLAIM_TRIES = 5
YES, NO = "yes", "no"


# --- Filling ------------------------------------------------------------------------------------

def phones(person=None):
    """The best phone of the row's client (``person``: of its contact person): landline, then mobile."""
    rows = ContactInfo.objects.filter(kind__in=(ContactKind.PHONE, ContactKind.MOBILE))
    if person:
        rows = rows.filter(contact_person=OuterRef(person))
    else:
        rows = rows.filter(counterparty=OuterRef("counterparty_id"), contact_person__isnull=True)
    return rows.order_by("-kind", "pk")  # "phone" sorts after "mobile": descending puts it first


def person_phone():
    """(person, phone) of the client's first contact person with a phone: when the client has none."""
    rows = ContactInfo.objects.filter(counterparty=OuterRef("counterparty_id"), contact_person__isnull=False,
                                      contact_person__deleted_at__isnull=True,
                                      kind__in=(ContactKind.PHONE, ContactKind.MOBILE))
    return rows.order_by("contact_person__last_name", "contact_person_id", "-kind", "pk")


def source_rows(call_list, user):
    """(counterparty id, contact person id or None) rows of the list's source, as ``user`` sees it."""
    if call_list.segment_id:
        clients, _filterset = segment_queryset(call_list.segment.query, user)
        return clients.order_by().annotate(counterparty_id=F("pk"), contact_person_id=Value(None, IntegerField())
                                           ).values("counterparty_id", "contact_person_id")
    members = GroupMember.objects.restrict(user).filter(group_id=call_list.group_id)
    return members.order_by().values("counterparty_id", "contact_person_id")


def with_phones(rows):
    """Each source row with its phone and the person reached by it (a client without a phone of its
    own is called on its first contact person's)."""
    return rows.annotate(
        own_phone=Subquery(phones("contact_person_id").values("value")[:1]),
        client_phone=Subquery(phones().values("value")[:1]),
        fallback_phone=Subquery(person_phone().values("value")[:1]),
        fallback_person=Subquery(person_phone().values("contact_person_id")[:1]),
    )


def fill(call_list, user, now=None):
    """Add the source's clients not yet on the list; returns (added, skipped without a phone)."""
    now = now or timezone.now()
    existing = CallListEntry.objects.filter(call_list=call_list)
    taken_clients = set(existing.filter(contact_person__isnull=True).values_list("counterparty_id", flat=True))
    taken_persons = set(existing.filter(contact_person__isnull=False).values_list("contact_person_id", flat=True))
    entries, skipped = [], 0
    for row in with_phones(source_rows(call_list, user)).iterator(chunk_size=BATCH):
        person = row["contact_person_id"]
        phone = row["own_phone"] if person else None
        phone = phone or row["client_phone"]
        if not phone and not person and row["fallback_phone"]:
            phone, person = row["fallback_phone"], row["fallback_person"]
        if not phone:
            skipped += 1
            continue
        if (person in taken_persons) if person else (row["counterparty_id"] in taken_clients):
            continue
        (taken_persons if person else taken_clients).add(person or row["counterparty_id"])
        entries.append(CallListEntry(call_list=call_list, counterparty_id=row["counterparty_id"],
                                     contact_person_id=person, phone=phone))
    with transaction.atomic():
        bulk_create_with_history(entries, CallListEntry, batch_size=BATCH, default_user=user)
        CallList.objects.filter(pk=call_list.pk).update(filled_at=now, skipped=skipped)
    call_list.filled_at, call_list.skipped = now, skipped
    return len(entries), skipped


# --- The queue ------------------------------------------------------------------------------------

def may_call(call_list, user):
    """Operators named on the list and its editors call, on an active list, on entries they may change."""
    if call_list.state != CallList.State.ACTIVE or not access.can(user, access.CHANGE, CallListEntry):
        return False
    return access.can(user, access.CHANGE, CallList) or call_list.operators.filter(pk=user.pk).exists()


def due_q(call_list, now):
    retry_before = now - dt.timedelta(minutes=call_list.retry_minutes)
    return (Q(state=State.PENDING)
            | Q(state=State.CALL_BACK, call_back_at__lte=now)
            | Q(state=State.NO_ANSWER, attempts__lt=call_list.max_attempts, last_result_at__lte=retry_before)
            | Q(state=State.IN_PROGRESS, claimed_until__lt=now))


def due_entries(call_list, user, now):
    """Entries ``user`` may call now: call-backs whose time came first, then new ones, then retries."""
    priority = Case(When(state=State.CALL_BACK, then=Value(0)), When(state=State.NO_ANSWER, then=Value(2)),
                    default=Value(1), output_field=IntegerField())
    return (CallListEntry.objects.restrict(user, access.CHANGE).filter(call_list=call_list)
            .filter(due_q(call_list, now)).annotate(priority=priority)
            .order_by("priority", "call_back_at", "attempts", "pk"))


def held_by(call_list, user, now):
    """The entry ``user`` is calling now (their lease still runs), if any."""
    return (CallListEntry.objects.restrict(user, access.CHANGE)
            .filter(call_list=call_list, state=State.IN_PROGRESS, operator=user, claimed_until__gte=now)
            .order_by("pk").first())


def claim_next(call_list, user, now=None):
    """The entry ``user`` should call now, taken for them; None when nothing is due."""
    now = now or timezone.now()
    held = held_by(call_list, user, now)
    if held is not None:
        return held
    for _try in range(CLAIM_TRIES):
        candidate = due_entries(call_list, user, now).values_list("pk", "version").first()
        if candidate is None:
            return None
        if claim(candidate, call_list, user, now):
            return CallListEntry.objects.get(pk=candidate[0])
    return None  # others took every candidate we saw: the operator asks again


def claim(candidate, call_list, user, now):
    pk, version = candidate
    taken = (CallListEntry.objects.filter(pk=pk, version=version).filter(due_q(call_list, now))
             .update(state=State.IN_PROGRESS, operator=user, claimed_until=now + LEASE, version=version + 1))
    return taken == 1


def release(entry, user):
    """Give back an entry ``user`` holds without calling: it is due again at once."""
    back = State.PENDING if entry.last_result_at is None else State.NO_ANSWER
    return CallListEntry.objects.filter(pk=entry.pk, state=State.IN_PROGRESS, operator=user).update(
        state=back, claimed_until=None, version=F("version") + 1) == 1


# --- Results --------------------------------------------------------------------------------------

def clean_answers(questions, raw, result):
    """{question id (str): answer} from ``raw`` (keys: ids); errors keyed ``answers``."""
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ValidationError({"answers": _("Expected answers keyed by question id.")})
    known = {str(q.pk): q for q in questions}
    unknown = sorted(set(map(str, raw)) - set(known))
    if unknown:
        raise ValidationError({"answers": _("Unknown questions: %(ids)s") % {"ids": ", ".join(unknown)}})
    answers, errors = {}, []
    for key, question in known.items():
        value = raw.get(key, raw.get(question.pk))
        value = "" if value is None else str(value).strip()
        if isinstance(raw.get(key), bool):
            value = YES if raw[key] else NO
        if not value:
            if question.required and result == State.REACHED:
                errors.append(_("Answer “%(question)s”.") % {"question": question.text})
            continue
        if question.kind == CallQuestion.Kind.YES_NO and value not in (YES, NO):
            errors.append(_("“%(question)s”: answer yes or no.") % {"question": question.text})
        elif question.kind == CallQuestion.Kind.CHOICE and value not in question.choices():
            errors.append(_("“%(question)s”: choose one of the options.") % {"question": question.text})
        answers[key] = value[:2000]
    if errors:
        raise ValidationError({"answers": errors})
    return answers


def answers_text(questions, answers):
    """The answers as the interaction's content: "Question: answer" lines."""
    shown = {YES: _("Yes"), NO: _("No")}
    lines = []
    for q in questions:
        value = answers.get(str(q.pk))
        if value:
            value = shown.get(value, value) if q.kind == CallQuestion.Kind.YES_NO else value
            lines.append(f"{q.text}: {value}")
    return "\n".join(lines)


def check_result(entry, user, result, call_back_at, now):
    if result not in CallListEntry.RESULTS:
        raise ValidationError({"result": _("Choose a result: reached, no answer, call back or refused.")})
    if result == State.CALL_BACK and (call_back_at is None or call_back_at <= now):
        raise ValidationError({"call_back_at": _("Give a time in the future to call back.")})
    if entry.state == State.IN_PROGRESS and entry.operator_id != user.pk and entry.claimed_until \
            and entry.claimed_until >= now:
        raise ValidationError({"result": _("%(operator)s is calling this client now.") % {
            "operator": entry.operator}})


def record_result(entry, user, result, *, answers=None, comment="", call_back_at=None, now=None):
    """Save a call's result and its interaction in one transaction; returns the entry."""
    now = now or timezone.now()
    check_result(entry, user, result, call_back_at, now)
    questions = entry.call_list.script.live_questions()
    answers = clean_answers(questions, answers, result)
    with transaction.atomic():
        interaction = log_call(entry, user, result, questions, answers, comment, call_back_at, now)
        entry.state, entry.answers, entry.comment = result, answers, (comment or "").strip()
        entry.call_back_at = call_back_at if result == State.CALL_BACK else None
        entry.attempts += 1
        entry.interaction, entry.operator, entry.last_result_at, entry.claimed_until = interaction, user, now, None
        entry._history_user = user
        entry.save()  # the version check: refused (and rolled back) if someone took the entry since
    return entry


def log_call(entry, user, result, questions, answers, comment, call_back_at, now):
    outcome = str(State(result).label)
    if result == State.CALL_BACK:
        when = formats.date_format(timezone.localtime(call_back_at), "SHORT_DATETIME_FORMAT")
        outcome = _("Call back at %(when)s") % {"when": when}
    content = "\n\n".join(part for part in (answers_text(questions, answers), (comment or "").strip()) if part)
    interaction = Interaction(
        type=InteractionType.by_code("outgoing_call"), direction=Interaction.Direction.OUTGOING,
        state=Interaction.State.DONE, subject=(_("Call list “%(name)s”: %(outcome)s") % {
            "name": entry.call_list.name, "outcome": outcome})[:200],
        content=content, result=outcome, counterparty_id=entry.counterparty_id, responsible=user, start=now,
        end=now, basis=entry.call_list)
    interaction._history_user = user
    interaction.save()
    if entry.contact_person_id:
        interaction.contact_persons.add(entry.contact_person_id)
    return interaction


# --- Progress -------------------------------------------------------------------------------------

def progress(call_list, user, now=None):
    """Counts per state of the entries ``user`` sees, with the done share for the progress bar."""
    now = now or timezone.now()
    entries = CallListEntry.objects.restrict(user).filter(call_list=call_list)
    counts = dict(entries.order_by().values_list("state").annotate(n=Count("pk")))
    total = sum(counts.values())
    gave_up = entries.filter(state=State.NO_ANSWER, attempts__gte=call_list.max_attempts).count()
    done = counts.get(State.REACHED, 0) + counts.get(State.REFUSED, 0) + gave_up
    rows = [{"state": state, "label": label, "count": counts.get(state, 0),
             "percent": round(100 * counts.get(state, 0) / total) if total else 0}
            for state, label in State.choices]
    return {"total": total, "done": done, "gave_up": gave_up, "rows": rows,
            "percent": round(100 * done / total) if total else 0,
            "due": entries.filter(due_q(call_list, now)).count()}
