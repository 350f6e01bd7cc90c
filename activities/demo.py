"""A year of interactions, tasks and reminders for the demo company «Лидер» (``load_demo``).

Dates are relative to the day of loading, so the calendar looks alive on first start: done
calls and meetings over the past year, a few overdue ones, some today, more in the coming weeks.
Rows come from a seeded ``random.Random`` walking the clients in tax-id order, so two loads on
the same day produce the same rows. Idempotent: if demo interactions exist, nothing is added.
"""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from clients.models import ContactPerson, Counterparty
from core import history

from .models import Importance, Interaction, InteractionType, Reminder, Task

SEED = 2017_03
REASON = "Демо-данные"  # history change reason: marks rows made here (idempotency check)
DAYS_BACK = 365
DAYS_AHEAD = 28

# type code: (weight, direction, minutes range, subjects, results)
KINDS = {
    "outgoing_call": (34, "out", (5, 25), [
        "Уточнить потребность в витринах", "Согласовать дату монтажа", "Напомнить об оплате счёта",
        "Предложить сервисный договор", "Узнать, как работает оборудование", "Обсудить коммерческое предложение",
        "Согласовать график планового ТО", "Предложить сезонную скидку на моноблоки",
    ], [
        "Клиент ждёт КП до пятницы", "Монтаж согласован", "Оплату обещали на этой неделе",
        "Интересуется договором на год", "Замечаний нет, всё работает", "Попросили перезвонить позже",
        "Согласовали ТО на следующий месяц", "Запросили расчёт на две витрины",
    ]),
    "incoming_call": (20, "in", (3, 20), [
        "Вопрос по гарантии", "Не охлаждает витрина", "Запрос цены на холодильную камеру",
        "Вопрос по счёту", "Шумит компрессор", "Хотят расширить холодильный участок",
    ], [
        "Передано в сервис, выезд завтра", "Отправили прайс", "Выставлен новый счёт",
        "Договорились о выезде инженера", "Назначена встреча для замера",
    ]),
    "email": (20, "out", (5, 15), [
        "Коммерческое предложение", "Счёт на оплату", "Акт выполненных работ", "Договор на подпись",
        "Каталог холодильного оборудования", "Условия сервисного обслуживания",
    ], [
        "Отправлено", "Клиент подтвердил получение", "Получен подписанный экземпляр",
    ]),
    "meeting": (15, "out", (45, 120), [
        "Замер помещения под холодильную камеру", "Презентация новых витрин", "Подписание договора",
        "Приёмка смонтированного оборудования", "Обсуждение оснащения нового магазина",
        "Встреча с закупщиком по годовому плану",
    ], [
        "Замер выполнен, готовим проект", "Клиент выбрал две модели", "Договор подписан",
        "Оборудование принято без замечаний", "Нужен расчёт в двух вариантах",
    ]),
    "sms": (6, "out", (1, 3), ["Напоминание о встрече", "Подтверждение выезда инженера"],
            ["Доставлено"]),
    "letter": (3, "out", (10, 20), ["Оригиналы документов почтой", "Гарантийное письмо"],
               ["Отправлено Почтой России"]),
    "other": (2, "in", (10, 30), ["Визит клиента в офис", "Запрос через сайт"],
              ["Консультация проведена"]),
}
CANCEL_RESULTS = ["Клиент перенёс встречу", "Не дозвонились, вопрос снят", "Отменено клиентом"]
PLANNED_KINDS = ["outgoing_call", "outgoing_call", "meeting", "meeting", "email"]
TODAY_SLOTS = [(9, 30), (11, 0), (12, 30), (14, 30), (16, 0), (17, 30)]
TASKS = [
    "Подготовить коммерческое предложение", "Выставить счёт", "Согласовать спецификацию",
    "Проверить оплату", "Подготовить договор", "Заказать витрины у поставщика",
    "Организовать выезд инженера", "Отправить акт сверки", "Собрать отзывы клиента",
    "Подготовить расчёт холодильной камеры",
]
HEAD_TASKS = ["Отчёт по продажам за неделю", "Обзвонить VIP-клиентов", "План продаж на месяц",
              "Проверить просроченную дебиторку"]
REMINDERS = ["Перезвонить по коммерческому предложению", "Проверить, пришла ли оплата",
             "Уточнить дату монтажа", "Отправить договор на подпись", "Спросить про второй магазин"]


class Builder:
    """Unsaved rows for one load; ``now`` fixes "today" for the whole run."""

    def __init__(self, users, types, now):
        self.rng = random.Random(SEED)
        self.users, self.types, self.now = users, types, now
        self.today = timezone.localtime(now).date()
        self.interactions, self.persons_of, self.tasks, self.reminders = [], [], [], []

    # Time helpers: working days, quarter-hour starts in the current time zone.
    def at(self, day, hour, minute=0):
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))

    def work_day(self, offset):
        day = self.today + dt.timedelta(days=offset)
        while day.weekday() >= 5:  # weekends: the company works Monday to Friday
            day += dt.timedelta(days=1 if offset >= 0 else -1)
        return day

    def work_time(self, day):
        return self.at(day, self.rng.randint(9, 17), self.rng.choice([0, 15, 30, 45]))

    def importance(self):
        return self.rng.choices([Importance.HIGH, Importance.NORMAL, Importance.LOW], [1, 8, 1])[0]

    # Rows -------------------------------------------------------------------------------------
    def interaction(self, cp, persons, user, start, state, code=None):
        rng = self.rng
        code = code or rng.choices(list(KINDS), [k[0] for k in KINDS.values()])[0]
        _weight, direction, (low, high), subjects, results = KINDS[code]
        if code == "email":
            direction = rng.choice(["out", "out", "in"])
        minutes = rng.randint(low, high)
        obj = Interaction(
            type=self.types.get(code) or self.types["other"], direction=direction, state=state,
            subject=rng.choice(subjects),
            counterparty=cp, responsible=user, start=start, importance=self.importance(),
            end=start + dt.timedelta(minutes=minutes) if code in ("meeting", "outgoing_call", "incoming_call")
            else None,
        )
        if state == Interaction.State.DONE:
            obj.duration_minutes = minutes
            obj.result = rng.choice(results)
            # Most talks get a rating; a rare bad one makes the quality reports worth opening.
            obj.satisfaction = rng.choices([None, 2, 3, 4, 5], [3, 1, 2, 6, 8])[0]
        elif state == Interaction.State.CANCELLED:
            obj.result = rng.choice(CANCEL_RESULTS)
        obj._history_user = user
        self.interactions.append(obj)
        # Calls and meetings are with someone; emails and SMS go to one of the persons, too.
        self.persons_of.append(rng.sample(persons, 1) if persons and rng.random() < 0.8 else [])
        return obj

    def task(self, author, assignee, cp, deadline, state, title=None):
        obj = Task(title=title or self.rng.choice(TASKS), author=author, assignee=assignee,
                   counterparty=cp, deadline=deadline, state=state, importance=self.importance())
        if state == Task.State.DONE:  # bulk_create skips Task.save(), which would set it
            obj.completed_at = min(deadline, self.now) - dt.timedelta(hours=self.rng.randint(1, 30))
        obj._history_user = author
        self.tasks.append(obj)
        return obj

    def reminder(self, user, remind_at, text, cp=None, interaction=None, delivered=False):
        obj = Reminder(user=user, remind_at=remind_at, text=text, counterparty=cp, interaction=interaction,
                       kind=Reminder.Kind.INTERACTION if interaction else Reminder.Kind.MANUAL,
                       delivered_at=remind_at if delivered else None)
        obj._history_user = user
        self.reminders.append(obj)
        return obj

    # A manager's year -------------------------------------------------------------------------
    def manager_year(self, user, clients, persons):
        rng, done = self.rng, Interaction.State.DONE
        planned = Interaction.State.PLANNED
        # The past year: 2–7 contacts per client, spread over working days.
        for cp in clients:
            for _ in range(rng.randint(2, 7)):
                day = self.work_day(-rng.randint(1, DAYS_BACK))
                state = Interaction.State.CANCELLED if rng.random() < 0.06 else done
                self.interaction(cp, persons.get(cp.pk, []), user, self.work_time(day), state)
        # Overdue: planned in the last days and never closed.
        for offset in (-1, -2, -4):
            cp = rng.choice(clients)
            self.interaction(cp, persons.get(cp.pk, []), user, self.work_time(self.work_day(offset)), planned,
                             code=rng.choice(PLANNED_KINDS))
        # Today (whatever the weekday): a few slots, one of them already done this morning.
        for i, (hour, minute) in enumerate(rng.sample(TODAY_SLOTS, 4)):
            cp = rng.choice(clients)
            start = self.at(self.today, hour, minute)
            state = done if i == 0 and start < self.now else planned
            obj = self.interaction(cp, persons.get(cp.pk, []), user, start, state, code=rng.choice(PLANNED_KINDS))
            if state == planned and start - dt.timedelta(minutes=30) > self.now:
                self.reminder(user, start - dt.timedelta(minutes=30), f"{obj.subject} — {cp.name}", cp=cp,
                              interaction=obj)
        # The coming weeks.
        for _ in range(rng.randint(14, 20)):
            cp = rng.choice(clients)
            self.interaction(cp, persons.get(cp.pk, []), user,
                             self.work_time(self.work_day(rng.randint(1, DAYS_AHEAD))), planned,
                             code=rng.choice(PLANNED_KINDS))

        # Tasks: from the head and their own; done in the past, some overdue, today, ahead.
        head = self.users["head"]
        for _ in range(rng.randint(12, 18)):
            deadline = self.work_time(self.work_day(-rng.randint(2, DAYS_BACK)))
            state = Task.State.CANCELLED if rng.random() < 0.1 else Task.State.DONE
            self.task(rng.choice([head, user]), user, rng.choice(clients), deadline, state)
        for offset in (-1, -3, -6):
            self.task(rng.choice([head, user]), user, rng.choice(clients),
                      self.work_time(self.work_day(offset)), Task.State.OPEN)
        self.task(head, user, None, self.at(self.today, 12), Task.State.OPEN, title=rng.choice(HEAD_TASKS))
        self.task(user, user, rng.choice(clients), self.at(self.today, 18), Task.State.OPEN)
        for _ in range(6):
            self.task(rng.choice([head, user, user]), user, rng.choice(clients),
                      self.work_time(self.work_day(rng.randint(1, 21))), Task.State.OPEN)

        # Reminders: some delivered, one missed (the worker delivers it at start), some due soon.
        for minutes, delivered in ((-60 * 24 * 3, True), (-60 * 5, True), (-10, False), (40, False),
                                   (60 * 3, False), (60 * 24, False), (60 * 24 * 6, False)):
            cp = rng.choice(clients)
            self.reminder(user, (self.now + dt.timedelta(minutes=minutes)).replace(second=0, microsecond=0),
                          f"{rng.choice(REMINDERS)} — {cp.name}", cp=cp, delivered=delivered)

    def head_year(self, head, clients, persons):
        """The company head meets the chains (VIP clients) now and then, and gives tasks."""
        rng = self.rng
        for cp in clients:
            for _ in range(rng.randint(1, 3)):
                day = self.work_day(-rng.randint(1, DAYS_BACK))
                self.interaction(cp, persons.get(cp.pk, []), head, self.work_time(day), Interaction.State.DONE,
                                 code="meeting")
        if clients:
            cp = rng.choice(clients)
            self.interaction(cp, persons.get(cp.pk, []), head, self.at(self.work_day(2), 11),
                             Interaction.State.PLANNED, code="meeting")


def demo_exists():
    return Interaction.history.filter(history_change_reason=REASON).exists()


def load(stdout=None, now=None, *, managers):
    """Add the demo activities for the demo ``managers`` (user names) and their head unless they are
    there; returns the counts created (dict)."""
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=[*managers, "head", "admin"])}
    if not set(managers) | {"head"} <= set(users):
        if stdout:
            stdout.write("Demo users are missing: no interactions loaded.")
        return {}
    if demo_exists():
        if stdout:
            stdout.write("Demo interactions and tasks are already loaded.")
        return {}
    now = now or timezone.now()
    types = {t.code: t for t in InteractionType.objects.exclude(code="")}
    if not types:
        return {}
    types.setdefault("other", InteractionType.objects.first())  # built-in types renamed or removed
    builder = Builder(users, types, now)

    clients = list(Counterparty.objects.filter(main_manager__in=[users[m] for m in managers])
                   .select_related("relationship_type").order_by("tax_id", "name"))
    persons = {}
    for person in ContactPerson.objects.filter(counterparty__in=clients).order_by("last_name", "first_name",
                                                                                   "pk"):
        persons.setdefault(person.counterparty_id, []).append(person)
    for username in managers:
        own = [cp for cp in clients if cp.main_manager_id == users[username].pk]
        if own:
            builder.manager_year(users[username], own, persons)
    vip = [cp for cp in clients if cp.relationship_type and cp.relationship_type.code == "vip"]
    builder.head_year(users["head"], vip[:12], persons)

    with transaction.atomic():
        saved = bulk_create_with_history(builder.interactions, Interaction, batch_size=500,
                                         default_change_reason=REASON)
        through = Interaction.contact_persons.through
        through.objects.bulk_create(
            [through(interaction_id=obj.pk, contactperson_id=p.pk)
             for obj, people in zip(saved, builder.persons_of, strict=True) for p in people],
            batch_size=500)
        history.snapshot_latest(Interaction, [obj.pk for obj, people in zip(saved, builder.persons_of, strict=True)
                                              if people])
        bulk_create_with_history(builder.tasks, Task, batch_size=500, default_change_reason=REASON)
        bulk_create_with_history(builder.reminders, Reminder, batch_size=500, default_change_reason=REASON)
    counts = {"interactions": len(builder.interactions), "tasks": len(builder.tasks),
              "reminders": len(builder.reminders)}
    if stdout:
        stdout.write("Demo activities: {interactions} interactions, {tasks} tasks, {reminders} reminders."
                     .format(**counts))
    return counts


def register():
    """``manage.py load_demo``: a year of interactions, tasks and reminders, after the clients."""
    from core import registry
    from core.management.commands.load_demo import DemoLoader

    def load_into(context):
        load(stdout=context.stdout, managers=context.shared.get("managers", ()))

    registry.demo_loaders.register("activities", DemoLoader(load_into, label="activities"), order=20)
