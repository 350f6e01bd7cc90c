"""The demo's telemarketing (``load_demo``): a call script and a call list half done — filled from
the demo mailing group, half of its clients already called by their managers, each result an
outgoing call in the client's interactions."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from activities.models import Interaction

from . import call_lists
from .demo import REASON
from .models import CallList, CallListEntry, CallQuestion, CallScript, Campaign, MailingGroup

SCRIPT = "Сервисный договор: опрос"
LIST = "Обзвон «Сервисный договор»"
INTRO = ("Здравствуйте! Компания «Лидер», отдел сервиса. Мы обслуживаем холодильное оборудование и хотим "
         "предложить вам сервисный договор. Удобно сейчас говорить пару минут?")
# text, kind, options, required
QUESTIONS = [
    ("Кто отвечает за холодильное оборудование?", CallQuestion.Kind.TEXT, "", True),
    ("Интересен ли сервисный договор?", CallQuestion.Kind.YES_NO, "", True),
    ("Сколько единиц оборудования?", CallQuestion.Kind.CHOICE, "1–5\n6–20\nБольше 20", False),
    ("Удобное время для визита инженера", CallQuestion.Kind.TEXT, "", False),
]
# The outcome of the called half, in turn.
OUTCOMES = ["reached", "no_answer", "reached", "call_back", "refused", "reached", "no_answer"]
ANSWERS = [("Главный инженер Сергей Петрович", "yes", "6–20", "Вторник, до обеда"),
           ("Заведующая производством", "no", "1–5", ""),
           ("Директор", "yes", "Больше 20", "Любой будний день")]


def demo_exists():
    return CallList.all_objects.filter(name=LIST).exists()


def make_script():
    script = CallScript.objects.create(name=SCRIPT, intro=INTRO)
    for order, (text, kind, options, required) in enumerate(QUESTIONS, start=1):
        CallQuestion.objects.create(script=script, order=order * 10, text=text, kind=kind, options=options,
                                    required=required)
    return script


def load(stdout=None, now=None):
    """Add the demo script and call list (half called), unless there; returns counts."""
    if demo_exists():
        if stdout:
            stdout.write("The demo call list is already loaded.")
        return {}
    users = {u.username: u for u in get_user_model().objects.filter(
        username__in=["admin", "marketer", "manager1", "manager2", "manager3"])}
    group = MailingGroup.objects.filter(name="Новости и акции").first()
    author = users.get("marketer") or users.get("admin")
    if group is None or author is None or "admin" not in users:
        return {}
    now = now or timezone.now()
    with transaction.atomic():
        script = make_script()
        call_list = CallList.objects.create(
            name=LIST, script=script, group=group, state=CallList.State.ACTIVE, responsible=author,
            campaign=Campaign.objects.filter(kind=Campaign.Kind.CALLS).order_by("-start").first(),
            description="Клиенты из группы «Новости и акции»: предложить сервисный договор.")
        call_list.operators.set([u for name, u in users.items() if name != "admin"])
        call_lists.fill(call_list, users["admin"], now=now - dt.timedelta(days=2))
        called = call_half(call_list, users, author, now)
        mark_demo_history(Interaction, basis=call_list)
    return {"call_entries": call_list.entries.count(), "calls": called}


def call_half(call_list, users, fallback, now):
    """Results for the first half of the entries, over the last two days, by the clients' managers."""
    entries = list(CallListEntry.objects.filter(call_list=call_list).select_related("counterparty__main_manager")
                   .order_by("pk"))
    questions = call_list.script.live_questions()
    operators = set(call_list.operators.values_list("pk", flat=True))
    half = entries[:len(entries) // 2]
    for i, entry in enumerate(half):
        manager = entry.counterparty.main_manager
        operator = manager if manager is not None and manager.pk in operators else fallback
        when = now - dt.timedelta(hours=40 - i * (36 / max(len(half), 1)))
        outcome = OUTCOMES[i % len(OUTCOMES)]
        answers = {}
        if outcome == "reached":
            values = ANSWERS[i % len(ANSWERS)]
            answers = {str(q.pk): v for q, v in zip(questions, values, strict=True) if v}
        call_lists.record_result(
            entry, operator, outcome, answers=answers, now=when,
            comment="Просили прислать КП на почту." if outcome == "reached" and i % 2 else "",
            call_back_at=now + dt.timedelta(days=1, hours=i % 5) if outcome == "call_back" else None)
    return len(half)


def mark_demo_history(model, basis):
    """The history of the interactions the demo recorded says who (their responsible) and why."""
    rows = model.objects.filter(basis_type=ContentType.objects.get_for_model(basis), basis_id=basis.pk)
    for responsible_id, pks in _by_responsible(rows).items():
        model.history.filter(id__in=pks).update(history_change_reason=REASON, history_user_id=responsible_id)


def _by_responsible(rows):
    found = {}
    for pk, responsible_id in rows.values_list("pk", "responsible_id"):
        found.setdefault(responsible_id, []).append(pk)
    return found


def register():
    """``manage.py load_demo``: after the marketing demo (its mailing group is the list's source)."""
    from core import registry
    from core.management.commands.load_demo import DemoLoader

    registry.demo_loaders.register("marketing_calls", DemoLoader(lambda context: load(stdout=context.stdout),
                                                                label="call lists"), order=60)
