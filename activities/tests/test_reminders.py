"""Reminders: delivered exactly once (worker restart, two workers), late rather than never,
access-safe texts; automatic birthday reminders."""

import datetime
import threading
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from activities.models import Interaction, InteractionType, Notification, OutgoingEmail, Reminder
from activities.services import reminders as service
from activities.services.reminders import create_birthday_reminders, deliver_due_reminders
from clients.models import CounterpartyShare
from clients.tests.factories import ContactPersonFactory, CounterpartyFactory

from .background import ProcessDB, make_reminder


def src(reminder):
    reminder.refresh_from_db()
    return f"reminder:{reminder.pk}:{int(reminder.remind_at.timestamp())}"


pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 3, 11, 7, 0, tzinfo=datetime.UTC)
MIN = datetime.timedelta(minutes=1)


def local_nine(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))


@time_machine.travel(NOW, tick=False)
def test_due_reminder_delivered_once_in_app_and_by_email(manager):
    cp = CounterpartyFactory(main_manager=manager, name="ООО Ромашка")
    reminder = make_reminder(manager, remind_at=NOW - MIN, counterparty=cp, text="Позвонить в Ромашку")
    later = make_reminder(manager, remind_at=NOW + MIN, text="Позже")
    assert deliver_due_reminders() == 1
    reminder.refresh_from_db()
    assert reminder.delivered_at == NOW
    note = Notification.objects.get()
    assert (note.user, note.text, note.source) == (manager, "Позвонить в Ромашку", src(reminder))
    assert note.url == cp.get_absolute_url() and note.read_at is None
    mail = OutgoingEmail.objects.get()
    assert mail.to == manager.email and mail.source == src(reminder)
    assert "Позвонить в Ромашку" in mail.subject and "Позвонить в Ромашку" in mail.body
    assert deliver_due_reminders() == 0
    assert Notification.objects.count() == 1 and OutgoingEmail.objects.count() == 1
    later.refresh_from_db()
    assert later.delivered_at is None
    with time_machine.travel(NOW + MIN, tick=False):
        assert deliver_due_reminders() == 1
    assert Notification.objects.count() == 2


@time_machine.travel(NOW, tick=False)
def test_missed_reminders_delivered_late_not_dropped(manager):
    # The worker was down for three days: everything that fell due meanwhile still goes out.
    old = [make_reminder(manager, remind_at=NOW - datetime.timedelta(days=d), text=f"Старое {d}") for d in (1, 2, 3)]
    assert deliver_due_reminders() == 3
    assert sorted(Notification.objects.values_list("text", flat=True)) == ["Старое 1", "Старое 2", "Старое 3"]
    assert all(Reminder.objects.get(pk=r.pk).delivered_at == NOW for r in old)


@time_machine.travel(NOW, tick=False)
def test_deleted_reminder_and_user_without_email(manager, teammate):
    gone = make_reminder(manager, remind_at=NOW - MIN)
    gone.delete()
    teammate.email = ""
    teammate.save()
    make_reminder(teammate, remind_at=NOW - MIN)
    assert deliver_due_reminders() == 1
    assert Notification.objects.get().user == teammate  # in the app only: no address to mail
    assert not OutgoingEmail.objects.exists()
    assert Reminder.all_objects.get(pk=gone.pk).delivered_at is None


@time_machine.travel(NOW, tick=False)
def test_worker_killed_mid_delivery_then_restarted_delivers_exactly_once(manager):
    first = make_reminder(manager, remind_at=NOW - 2 * MIN, text="Первое")
    second = make_reminder(manager, remind_at=NOW - MIN, text="Второе")
    # The worker claims the first reminder and dies before its transaction commits.
    with mock.patch.object(service, "notify", side_effect=SystemExit("killed")), pytest.raises(SystemExit):
        deliver_due_reminders()
    first.refresh_from_db()
    assert first.delivered_at is None  # the claim was rolled back with everything else
    assert not Notification.objects.exists() and not OutgoingEmail.objects.exists()
    # Restarted: both go out, once.
    assert deliver_due_reminders() == 2
    assert deliver_due_reminders() == 0
    assert sorted(Notification.objects.values_list("source", flat=True)) == sorted(
        [src(first), src(second)])
    assert OutgoingEmail.objects.count() == 2


@time_machine.travel(NOW, tick=False)
def test_second_claimer_gets_nothing(manager):
    reminder = make_reminder(manager, remind_at=NOW - MIN)
    # Both workers listed it as due; the conditional UPDATE lets exactly one through.
    assert service.claim(reminder.pk, NOW) is True
    assert service.claim(reminder.pk, NOW) is False
    assert service.deliver(reminder.pk, NOW) is False
    assert not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_in_parallel_deliver_each_reminder_once(manager):
    """Two threads (two database connections) race over the same due reminders.

    The in-memory SQLite test database locks whole tables between connections, which is not how
    the file database behaves: on SQLite the two-process test below covers it."""
    if connection.vendor == "sqlite":
        pytest.skip("in-memory SQLite; see test_two_worker_processes_deliver_each_reminder_once")
    due = [make_reminder(manager, remind_at=timezone.now() - MIN, text=f"R{i}") for i in range(40)]
    start = threading.Barrier(2)
    counts, errors = [], []
    real_due = service.due_reminders

    def both_see_everything(now):
        rows = list(real_due(now))  # evaluate before the barrier: both list all 40 as due
        start.wait(timeout=10)
        return Reminder.objects.filter(pk__in=[r.pk for r in rows]).order_by("remind_at", "id")

    def worker():
        try:
            counts.append(deliver_due_reminders())
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connection.close()

    with mock.patch.object(service, "due_reminders", both_see_everything):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert not errors
    assert sum(counts) == len(due)
    assert Notification.objects.count() == len(due) == OutgoingEmail.objects.count()
    assert Reminder.objects.filter(delivered_at__isnull=True).count() == 0


# --- Access -------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_reminder_about_a_client_taken_away_does_not_leak_it(manager, teammate):
    cp = CounterpartyFactory(main_manager=manager, name="ООО Секрет")
    person = ContactPersonFactory(counterparty=cp, last_name="Тайнов")
    direct = make_reminder(manager, remind_at=NOW - MIN, counterparty=cp, text="Позвонить в ООО Секрет")
    meeting = Interaction.objects.create(type=InteractionType.by_code("meeting"), subject="Встреча в Секрете",
                                         counterparty=cp, responsible=manager, start=NOW + MIN)
    via_interaction = make_reminder(manager, remind_at=NOW - MIN, interaction=meeting, kind="interaction",
                                    text="Встреча в ООО Секрет")
    via_person = make_reminder(manager, remind_at=NOW - MIN, contact_person=person, kind="birthday",
                               text="День рождения Тайнов (ООО Секрет)")
    cp.main_manager = teammate  # the head reassigned the client
    cp.save()
    assert deliver_due_reminders() == 3
    for reminder in (direct, via_interaction, via_person):
        note = Notification.objects.get(source=src(reminder))
        mail = OutgoingEmail.objects.get(source=src(reminder))
        assert note.user == manager and note.url == ""
        for text in (note.text, mail.subject, mail.body):
            assert "Секрет" not in text and "Тайнов" not in text
        assert "no longer have access" in note.text


@time_machine.travel(NOW, tick=False)
def test_reminder_about_a_shared_client_names_it(manager, teammate):
    cp = CounterpartyFactory(main_manager=teammate, name="ООО Общий")
    CounterpartyShare.objects.create(counterparty=cp, user=manager)
    make_reminder(manager, remind_at=NOW - MIN, counterparty=cp, text="Позвонить в ООО Общий")
    deliver_due_reminders()
    assert Notification.objects.get().text == "Позвонить в ООО Общий"


@time_machine.travel(NOW, tick=False)
def test_inactive_user_gets_nothing_but_reminder_is_settled(manager):
    manager.is_active = False
    manager.save()
    reminder = make_reminder(manager, remind_at=NOW - MIN)
    assert deliver_due_reminders() == 1
    assert not Notification.objects.exists() and not OutgoingEmail.objects.exists()
    reminder.refresh_from_db()
    assert reminder.delivered_at == NOW


# --- Birthdays ----------------------------------------------------------------------------


def birthday_reminders():
    return list(Reminder.objects.filter(kind="birthday").order_by("remind_at"))


def test_birthday_reminder_days_ahead_at_nine_to_the_responsible(manager, sales_head):
    cp = CounterpartyFactory(main_manager=sales_head, name="ООО Ромашка")
    person = ContactPersonFactory(counterparty=cp, last_name="Петров", first_name="Пётр",
                                  birthday=datetime.date(1980, 3, 14), responsible=manager, position="директор")
    CounterpartyShare.objects.create(counterparty=cp, user=manager)
    today = datetime.date(2026, 3, 10)
    assert create_birthday_reminders(today=today, days_ahead=3) == 0  # 14 March is 4 days away
    assert create_birthday_reminders(today=today + datetime.timedelta(days=1), days_ahead=3) == 1
    [r] = birthday_reminders()
    assert r.user == manager and r.contact_person == person and r.counterparty == cp
    assert r.remind_at == local_nine(datetime.date(2026, 3, 11))
    assert timezone.localtime(r.remind_at).hour == 9
    assert "Петров Пётр" in r.text and "ООО Ромашка" in r.text and "директор" in r.text
    # Idempotent: again the same day, and on the following days up to the birthday.
    for day in range(11, 15):
        assert create_birthday_reminders(today=datetime.date(2026, 3, day), days_ahead=3) == 0
    assert len(birthday_reminders()) == 1
    # Next year: a new reminder.
    assert create_birthday_reminders(today=datetime.date(2027, 3, 11), days_ahead=3) == 1
    assert len(birthday_reminders()) == 2


def test_birthday_within_range_reminds_today(manager, settings):
    settings.KLIENTURA_BIRTHDAY_DAYS_AHEAD = 5
    cp = CounterpartyFactory(main_manager=manager)
    ContactPersonFactory(counterparty=cp, birthday=datetime.date(1990, 3, 12))  # no responsible
    today = datetime.date(2026, 3, 11)
    assert create_birthday_reminders(today=today) == 1  # the setting's 5 days
    [r] = birthday_reminders()
    assert r.user == manager  # the counterparty's main manager
    assert r.remind_at == local_nine(today)  # a person added late still gets a reminder, today


def test_birthday_crossing_new_year(manager):
    cp = CounterpartyFactory(main_manager=manager)
    ContactPersonFactory(counterparty=cp, birthday=datetime.date(1975, 1, 1))
    assert create_birthday_reminders(today=datetime.date(2026, 12, 30), days_ahead=3) == 1
    assert birthday_reminders()[0].remind_at == local_nine(datetime.date(2026, 12, 30))
    assert "2027" in birthday_reminders()[0].text


def test_birthday_on_29_february(manager):
    cp = CounterpartyFactory(main_manager=manager)
    ContactPersonFactory(counterparty=cp, birthday=datetime.date(1988, 2, 29))
    # Common year: kept on 28 February, reminded three days before.
    assert create_birthday_reminders(today=datetime.date(2026, 2, 24), days_ahead=3) == 0
    assert create_birthday_reminders(today=datetime.date(2026, 2, 25), days_ahead=3) == 1
    assert birthday_reminders()[-1].remind_at == local_nine(datetime.date(2026, 2, 25))
    assert create_birthday_reminders(today=datetime.date(2026, 2, 28), days_ahead=0) == 0  # same occurrence
    assert create_birthday_reminders(today=datetime.date(2026, 3, 1), days_ahead=3) == 0
    # Leap year: on the 29th itself.
    assert create_birthday_reminders(today=datetime.date(2028, 2, 26), days_ahead=3) == 1
    assert birthday_reminders()[-1].remind_at == local_nine(datetime.date(2028, 2, 26))
    assert create_birthday_reminders(today=datetime.date(2028, 2, 28), days_ahead=3) == 0
    assert len(birthday_reminders()) == 2


def test_birthday_skips_ended_links_deleted_rows_and_unassigned(manager, teammate):
    today = datetime.date(2026, 3, 11)
    bday = datetime.date(1980, 3, 12)
    cp = CounterpartyFactory(main_manager=manager)
    ContactPersonFactory(counterparty=cp, birthday=bday, linked_to=today - datetime.timedelta(days=1))
    deleted_person = ContactPersonFactory(counterparty=cp, birthday=bday)
    deleted_person.delete()
    gone_cp = CounterpartyFactory(main_manager=manager)
    ContactPersonFactory(counterparty=gone_cp, birthday=bday)
    gone_cp.delete()
    ContactPersonFactory(counterparty=CounterpartyFactory(main_manager=None), birthday=bday)  # nobody to tell
    ContactPersonFactory(counterparty=cp, birthday=datetime.date(1980, 4, 12))  # not soon
    still = ContactPersonFactory(counterparty=cp, birthday=bday, linked_to=today)  # ends today: still linked
    # The responsible can no longer see the client: the main manager is told instead.
    redirected = ContactPersonFactory(counterparty=cp, birthday=bday, responsible=teammate)
    assert create_birthday_reminders(today=today, days_ahead=3) == 2
    assert {(r.contact_person, r.user) for r in birthday_reminders()} == {(still, manager), (redirected, manager)}


def test_birthday_reminder_deleted_by_user_is_not_recreated(manager):
    cp = CounterpartyFactory(main_manager=manager)
    ContactPersonFactory(counterparty=cp, birthday=datetime.date(1980, 3, 14))
    assert create_birthday_reminders(today=datetime.date(2026, 3, 11), days_ahead=3) == 1
    birthday_reminders()[0].delete()
    assert create_birthday_reminders(today=datetime.date(2026, 3, 12), days_ahead=3) == 0


def test_birthday_reminder_is_delivered(manager, settings):
    settings.TIME_ZONE = "Europe/Moscow"
    cp = CounterpartyFactory(main_manager=manager, name="ООО Ромашка")
    ContactPersonFactory(counterparty=cp, last_name="Петров", birthday=datetime.date(1980, 3, 14))
    with time_machine.travel(datetime.datetime(2026, 3, 11, 5, 0, tzinfo=datetime.UTC), tick=False):
        create_birthday_reminders()  # 08:00 in Moscow: the reminder is for 09:00
        assert deliver_due_reminders() == 0
    with time_machine.travel(datetime.datetime(2026, 3, 11, 6, 0, tzinfo=datetime.UTC), tick=False):
        assert deliver_due_reminders() == 1
    note = Notification.objects.get()
    assert "Петров" in note.text and "ООО Ромашка" in note.text and note.user == manager


# --- Separate worker processes on one database file ---------------------------------------

SETUP = """
import datetime
from django.utils import timezone
from core.models import User
from activities.models import Reminder
u = User.objects.create(username="m", email="m@example.com", role="sales_manager")
due = timezone.now() - datetime.timedelta(minutes=1)
Reminder.objects.bulk_create([Reminder(user=u, remind_at=due, text=f"R{{i}}") for i in range({n})])
"""

RACER = """
import glob, os, time
from activities.models import Reminder
from activities.services import reminders
from activities.tasks import deliver_reminders
real_due = reminders.due_reminders

def listed_then_wait(now):
    # Like two workers woken at the same moment: both list every due reminder before either
    # claims one, so every claim is contested.
    pks = list(real_due(now).values_list("pk", flat=True))
    open(os.path.join({gate!r}, f"listed-{{os.getpid()}}"), "w").close()
    while len(glob.glob(os.path.join({gate!r}, "listed-*"))) < {workers}:
        time.sleep(0.005)
    return Reminder.objects.filter(pk__in=pks).order_by("remind_at", "id")

reminders.due_reminders = listed_then_wait
print("DELIVERED", deliver_reminders.call())
"""

DIES_MID_DELIVERY = """
import os
from activities.services import reminders
real, calls = reminders.notify, []
def notify_then_die(*args, **kwargs):
    calls.append(1)
    if len(calls) == 5:
        os._exit(9)  # killed hard: 5th reminder claimed, its transaction never commits
    return real(*args, **kwargs)
reminders.notify = notify_then_die
reminders.deliver_due_reminders()
"""


def _sources(db):
    return [row[0] for row in db.query("SELECT source FROM activities_notification ORDER BY id")]


def test_two_worker_processes_deliver_each_reminder_once(tmp_path):
    n = 100
    db = ProcessDB(tmp_path)
    db.shell(SETUP.format(n=n))
    gate = tmp_path / "gate"
    gate.mkdir()
    racers = [db.start_shell(RACER.format(gate=str(gate), workers=2)) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in racers]
    assert [p.returncode for p in racers] == [0, 0], outputs
    counts = [int(out.split("DELIVERED")[1]) for out, _err in outputs]
    assert sum(counts) == n  # each reminder claimed by exactly one of the two processes
    sources = _sources(db)
    assert len(sources) == len(set(sources)) == n
    assert db.query("SELECT count(*) FROM activities_reminder WHERE delivered_at IS NULL") == [(0,)]
    assert db.query("SELECT count(*), count(DISTINCT source) FROM activities_outgoingemail") == [(n, n)]


def test_worker_process_killed_mid_delivery_then_restarted(tmp_path):
    n = 20
    db = ProcessDB(tmp_path)
    db.shell(SETUP.format(n=n))
    died = db.shell(DIES_MID_DELIVERY, check=False)
    assert died.returncode == 9, died.stderr
    # Four delivered and committed; the fifth was claimed in a transaction that died with the process.
    assert len(_sources(db)) == 4
    assert db.query("SELECT count(*) FROM activities_reminder WHERE delivered_at IS NOT NULL") == [(4,)]
    restarted = db.shell(RACER.format(gate=str(tmp_path), workers=0))  # a lone worker: no waiting
    assert "DELIVERED 16" in restarted.stdout
    sources = _sources(db)
    assert len(sources) == len(set(sources)) == n
    assert db.query("SELECT count(*) FROM activities_outgoingemail") == [(n,)]


@time_machine.travel(NOW, tick=False)
def test_reminder_about_a_client_in_the_trash_waits_until_restored(manager):
    cp = CounterpartyFactory(main_manager=manager, name="ООО Удалённая")
    reminder = make_reminder(manager, remind_at=NOW - MIN, counterparty=cp, text="Позвонить в Удалённую")
    cp.delete()
    assert deliver_due_reminders() == 0
    reminder.refresh_from_db()
    assert reminder.delivered_at is None
    cp.restore()
    assert deliver_due_reminders() == 1
    assert Notification.objects.get().text == "Позвонить в Удалённую"


@time_machine.travel(NOW, tick=False)
def test_one_failing_reminder_does_not_block_the_others(manager, teammate):
    type(manager).objects.filter(pk=teammate.pk).update(email="not-an-address")
    teammate.refresh_from_db()
    broken_address = make_reminder(teammate, remind_at=NOW - 3 * MIN, text="Коллеге")
    poison = make_reminder(manager, remind_at=NOW - 2 * MIN, text="Сломанное")
    fine = make_reminder(manager, remind_at=NOW - MIN, text="Нормальное")
    real_message = service.message

    def failing_for_poison(reminder):
        if reminder.pk == poison.pk:
            raise ValueError("boom")
        return real_message(reminder)

    with mock.patch.object(service, "message", failing_for_poison):
        assert deliver_due_reminders() == 2
    assert set(Notification.objects.values_list("text", flat=True)) == {"Коллеге", "Нормальное"}
    assert list(OutgoingEmail.objects.values_list("to", flat=True)) == [manager.email]  # not to the broken one
    assert Reminder.objects.get(pk=poison.pk).delivered_at is None  # retried next pass
    assert Reminder.objects.get(pk=broken_address.pk).delivered_at == NOW
    assert Reminder.objects.get(pk=fine.pk).delivered_at == NOW
    assert deliver_due_reminders() == 1


def test_snoozed_reminder_is_delivered_again(manager):
    import datetime

    from django.utils import timezone

    from activities.models import Notification, Reminder
    from activities.services.reminders import deliver_due_reminders

    reminder = Reminder.objects.create(user=manager, text="Позвонить", remind_at=timezone.now())
    deliver_due_reminders()
    reminder.refresh_from_db()
    reminder.remind_at = timezone.now() + datetime.timedelta(minutes=10)
    reminder.save()
    assert reminder.delivered_at is None
    deliver_due_reminders(now=timezone.now() + datetime.timedelta(minutes=11))
    assert Notification.objects.filter(user=manager).count() == 2
