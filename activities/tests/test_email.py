"""Outgoing email through a real SMTP server on loopback; retries with backoff; the compose flow."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from activities.models import Interaction, OutgoingEmail
from activities.services import email as email_service
from activities.services.email import MAX_ATTEMPTS, queue_email, send_queued_emails
from clients.models import ContactKind
from clients.tests.factories import ContactInfoFactory, ContactPersonFactory, CounterpartyFactory

from .background import run_worker, smtp_down, smtp_server

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 3, 11, 7, 0, tzinfo=datetime.UTC)
MIN = datetime.timedelta(minutes=1)


@pytest.fixture
def smtp(settings):
    with smtp_server(settings) as inbox:
        yield inbox


@time_machine.travel(NOW, tick=False)
def test_email_arrives_through_loopback_smtp(smtp, settings):
    settings.DEFAULT_FROM_EMAIL = "crm@klientura.test"
    msg = queue_email("petrov@example.com", "Счёт №15 на оплату", "Добрый день, Пётр!\nСчёт во вложении.")
    assert send_queued_emails() == 1
    msg.refresh_from_db()
    assert msg.state == "sent" and msg.sent_at == NOW and msg.attempts == 1 and msg.last_error == ""
    [received] = smtp.messages
    assert smtp.envelopes[0].rcpt_tos == ["petrov@example.com"]
    assert received["To"] == "petrov@example.com"
    assert received["From"] == "crm@klientura.test"
    assert smtp.subjects == ["Счёт №15 на оплату"]
    assert received.get_content().replace("\r\n", "\n").strip() == "Добрый день, Пётр!\nСчёт во вложении."
    assert send_queued_emails() == 0  # sent once, not again


@time_machine.travel(NOW, tick=False)
def test_smtp_down_keeps_the_email_queued_with_backoff(settings):
    smtp_down(settings)
    msg = queue_email("petrov@example.com", "Тема", "Текст")
    assert send_queued_emails() == 0
    msg.refresh_from_db()
    assert msg.state == "queued" and msg.attempts == 1
    assert "Connection refused" in msg.last_error or "Errno" in msg.last_error
    assert msg.next_attempt_at == NOW + MIN
    # Not due yet: a second pass does not hammer the server.
    send_queued_emails()
    msg.refresh_from_db()
    assert msg.attempts == 1
    with time_machine.travel(NOW + MIN, tick=False):
        send_queued_emails()
    msg.refresh_from_db()
    assert msg.attempts == 2 and msg.next_attempt_at == NOW + MIN + 2 * MIN


def test_backoff_doubles_and_is_capped():
    assert [email_service.backoff(n).total_seconds() / 60 for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_after_max_attempts_failed_then_retry_by_hand_sends(settings, manager, client_for):
    port = smtp_down(settings)
    with time_machine.travel(NOW, tick=False):
        msg = queue_email("petrov@example.com", "Тема", "Текст", created_by=manager)
    clock = NOW
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with time_machine.travel(clock, tick=False):
            send_queued_emails()
        msg.refresh_from_db()
        assert msg.attempts == attempt
        clock = msg.next_attempt_at
        assert msg.state == ("failed" if attempt == MAX_ATTEMPTS else "queued")
    # Failed is final for the worker: it stays, visible, and is not retried on its own.
    with time_machine.travel(NOW + datetime.timedelta(days=2), tick=False):
        assert send_queued_emails() == 0
    msg.refresh_from_db()
    assert msg.state == "failed" and msg.last_error
    c = client_for(manager)
    page = c.get(reverse("activities:email_list"))
    assert "petrov@example.com" in page.text and 'data-testid="retry"' in page.text
    # The server is back; the user presses "retry".
    with smtp_server(settings, port=port) as inbox:
        resp = c.post(reverse("activities:email_retry", args=[msg.pk]))
        assert resp.status_code == 302
        msg.refresh_from_db()
        assert msg.state == "queued" and msg.attempts == 0
        send_queued_emails()
        msg.refresh_from_db()
        assert msg.state == "sent"
        assert inbox.subjects == ["Тема"]


@time_machine.travel(NOW, tick=False)
def test_server_back_later_email_sent(settings):
    port = smtp_down(settings)
    msg = queue_email("petrov@example.com", "Напоминание", "Текст")
    send_queued_emails()
    msg.refresh_from_db()
    assert msg.state == "queued" and msg.attempts == 1
    with smtp_server(settings, port=port) as inbox, time_machine.travel(NOW + MIN, tick=False):
        assert send_queued_emails() == 1
    msg.refresh_from_db()
    assert msg.state == "sent" and msg.attempts == 2 and msg.last_error == ""
    assert len(inbox.messages) == 1


@time_machine.travel(NOW, tick=False)
def test_two_workers_never_send_the_same_message(smtp):
    msg = queue_email("petrov@example.com", "Тема", "Текст")
    # Both workers saw it due; only the first conditional UPDATE wins.
    assert email_service._claim(msg.pk, NOW) is True
    assert email_service._claim(msg.pk, NOW) is False
    assert send_queued_emails() == 0  # the second worker's pass: it is "sending", not queued
    assert smtp.messages == []


def test_stale_sending_row_returns_to_queue(smtp):
    with time_machine.travel(NOW, tick=False):
        msg = queue_email("petrov@example.com", "Тема", "Текст")
        assert email_service._claim(msg.pk, NOW)  # … and the worker is killed here
        assert send_queued_emails() == 0
    with time_machine.travel(NOW + email_service.LEASE + MIN, tick=False):
        assert send_queued_emails() == 1
    msg.refresh_from_db()
    assert msg.state == "sent" and msg.attempts == 2  # the lost attempt is counted
    assert len(smtp.messages) == 1


def test_email_list_access(manager, teammate, head, client_for):
    mine = queue_email("a@example.com", "Моё письмо", "x", created_by=manager)
    theirs = queue_email("b@example.com", "Чужое письмо", "x", created_by=teammate)
    notice = queue_email(manager.email, "Мне напоминание", "x")
    OutgoingEmail.objects.filter(pk__in=[mine.pk, theirs.pk]).update(state="failed")
    page = client_for(manager).get(reverse("activities:email_list")).text
    assert "Моё письмо" in page and "Мне напоминание" in page and "Чужое письмо" not in page
    assert client_for(manager).post(reverse("activities:email_retry", args=[theirs.pk])).status_code == 404
    page = client_for(head).get(reverse("activities:email_list")).text
    assert "Моё письмо" in page and "Чужое письмо" in page and notice.subject in page


# --- Compose from the client card ---------------------------------------------------------


def card_with_person(manager):
    cp = CounterpartyFactory(main_manager=manager)
    person = ContactPersonFactory(counterparty=cp, last_name="Петров", first_name="Пётр")
    info = ContactInfoFactory(counterparty=cp, contact_person=person, kind=ContactKind.EMAIL,
                              value="petrov@example.com")
    office = ContactInfoFactory(counterparty=cp, kind=ContactKind.EMAIL, value="office@example.com")
    return cp, person, info, office


@time_machine.travel(NOW, tick=False)
def test_compose_from_card_end_to_end(smtp, manager, client_for, django_capture_on_commit_callbacks):
    cp, person, info, office = card_with_person(manager)
    c = client_for(manager)
    url = reverse("activities:email_compose") + f"?counterparty={cp.pk}&person={person.pk}"
    page = c.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["address"] == info.pk
    assert "petrov@example.com" in page.text and "office@example.com" in page.text
    with django_capture_on_commit_callbacks(execute=True):
        resp = c.post(url, {"address": info.pk, "subject": "Коммерческое предложение",
                            "text": "Пётр, добрый день!\nНаправляем КП."})
    assert resp.status_code == 302 and resp.url == cp.get_absolute_url() + "?tab=interactions"
    interaction = Interaction.objects.get()
    assert interaction.type.code == "email" and interaction.direction == "out" and interaction.state == "done"
    assert interaction.responsible == manager and interaction.counterparty == cp
    assert list(interaction.contact_persons.all()) == [person]
    assert interaction.content == "Пётр, добрый день!\nНаправляем КП."
    outgoing = interaction.emails.get()
    assert outgoing.state == "queued" and outgoing.created_by == manager
    # The send was handed to the background worker, which delivers it.
    assert DBTaskResult.objects.filter(task_path="activities.tasks.send_email").count() == 1
    run_worker()
    outgoing.refresh_from_db()
    assert outgoing.state == "sent"
    [received] = smtp.messages
    assert received["To"] == "petrov@example.com"
    assert smtp.subjects == ["Коммерческое предложение"]
    assert received["Reply-To"] == manager.email
    assert "Направляем КП." in received.get_content()
    # The delivery state shows in the client's interaction history.
    tab = c.get(reverse("activities:card_interactions", args=[cp.pk])).text
    assert "Коммерческое предложение" in tab and str(OutgoingEmail.State.SENT.label) in tab


@time_machine.travel(NOW, tick=False)
def test_compose_to_the_company_address_without_person(smtp, manager, client_for):
    cp, person, info, office = card_with_person(manager)
    c = client_for(manager)
    resp = c.post(reverse("activities:email_compose") + f"?counterparty={cp.pk}",
                  {"address": office.pk, "subject": "Тема", "text": "Текст"})
    assert resp.status_code == 302
    interaction = Interaction.objects.get()
    assert not interaction.contact_persons.exists() and interaction.emails.get().to == "office@example.com"


def test_compose_validates(manager, client_for):
    cp, person, info, office = card_with_person(manager)
    other = ContactInfoFactory(kind=ContactKind.EMAIL, value="stranger@example.com")  # another client's
    broken = ContactInfoFactory(counterparty=cp, kind=ContactKind.EMAIL, value="not an address")
    c = client_for(manager)
    url = reverse("activities:email_compose") + f"?counterparty={cp.pk}"
    for data, field in [
        ({"address": other.pk, "subject": "Тема", "text": "Текст"}, "address"),
        ({"address": broken.pk, "subject": "Тема", "text": "Текст"}, "address"),
        ({"address": info.pk, "subject": "", "text": "Текст"}, "subject"),
        ({"address": info.pk, "subject": "Тема", "text": ""}, "text"),
    ]:
        resp = c.post(url, data)
        assert resp.status_code == 400 and field in resp.context["form"].errors
    assert not Interaction.objects.exists() and not OutgoingEmail.objects.exists()


def test_compose_without_any_address_says_so(manager, client_for):
    cp = CounterpartyFactory(main_manager=manager)
    page = client_for(manager).get(reverse("activities:email_compose") + f"?counterparty={cp.pk}")
    assert page.status_code == 200 and 'data-testid="no-address"' in page.text


def test_compose_access(manager, teammate, quality, head, client_for):
    cp, person, info, office = card_with_person(teammate)
    url = reverse("activities:email_compose") + f"?counterparty={cp.pk}"
    data = {"address": info.pk, "subject": "Тема", "text": "Текст"}
    # A manager cannot write on behalf of a teammate's client; read-only roles cannot write at all.
    for user in (manager, quality):
        assert client_for(user).get(url).status_code == 404
        assert client_for(user).post(url, data).status_code == 404
    assert client_for(manager).get(reverse("activities:email_compose") + "?counterparty=abc").status_code == 404
    # A person of another client in ?person= is refused too.
    mine = CounterpartyFactory(main_manager=manager)
    assert client_for(manager).get(
        reverse("activities:email_compose") + f"?counterparty={mine.pk}&person={person.pk}").status_code == 404
    assert not Interaction.objects.exists()
    assert client_for(head).post(url, data).status_code == 302


def test_sent_email_interaction_not_visible_to_teammate(manager, teammate, client_for):
    cp, person, info, office = card_with_person(manager)
    client_for(manager).post(reverse("activities:email_compose") + f"?counterparty={cp.pk}",
                             {"address": info.pk, "subject": "Секретная тема", "text": "Текст"})
    assert OutgoingEmail.objects.count() == 1
    page = client_for(teammate).get(reverse("activities:email_list")).text
    assert "Секретная тема" not in page


@time_machine.travel(NOW, tick=False)
def test_send_now_task_with_smtp_down_leaves_it_for_the_retry_pass(settings):
    port = smtp_down(settings)
    msg = queue_email("petrov@example.com", "Тема", "Текст")
    assert email_service.send_email_now(msg.pk) is False
    msg.refresh_from_db()
    assert (msg.state, msg.attempts, msg.next_attempt_at) == ("queued", 1, NOW + MIN)
    assert email_service.send_email_now(msg.pk) is False  # not due yet: untouched
    msg.refresh_from_db()
    assert msg.attempts == 1
    with smtp_server(settings, port=port) as inbox, time_machine.travel(NOW + MIN, tick=False):
        assert send_queued_emails() == 1
    assert inbox.subjects == ["Тема"]
