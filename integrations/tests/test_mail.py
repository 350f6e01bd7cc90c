"""Mail intake against a real IMAP server (Dovecot on loopback): letters attached to their client by
address or thread, unknown senders left for review, each letter taken exactly once."""

import imaplib
import itertools
import os
from email.message import EmailMessage

import pytest
from django.core import mail as django_mail
from django.urls import reverse

from activities.models import Interaction
from activities.services import email as email_service
from clients.models import ContactInfo
from clients.tests.factories import ContactInfoFactory, ContactPersonFactory, CounterpartyFactory
from core import attachments
from integrations.mail import services
from integrations.models import IncomingLetter, Mailbox

from .dovecot import Dovecot, available
from .mail_factories import make_letter, make_mailbox

pytestmark = pytest.mark.django_db
State = IncomingLetter.State
USERS = {f"box{n}@example.com": f"pw{n}" for n in range(40)}
_boxes = itertools.count()


@pytest.fixture(scope="module")
def imap_server():
    if not available():
        message = "no Dovecot: install the Debian package dovecot-imapd (.ci/run does)"
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(message, pytrace=False)  # CI must really run the IMAP tests
        pytest.skip(message)
    with Dovecot(USERS) as server:
        yield server


@pytest.fixture
def imap_user(imap_server):
    """A fresh, empty IMAP account for one test: (login, password)."""
    n = next(_boxes)
    return f"box{n}@example.com", f"pw{n}"


def letter(sender="anna@buyer.ru", subject="Вопрос по холодильнику", body="Добрый день!", **headers):
    message = EmailMessage()
    message["From"] = f"Анна Петрова <{sender}>"
    message["To"] = "sales@example.com"
    message["Subject"] = subject
    message["Date"] = "Thu, 03 Dec 2026 10:15:00 +0300"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def deliver(server, user, message):
    login, password = user
    client = imaplib.IMAP4("127.0.0.1", server.port)
    client.login(login, password)
    raw = message if isinstance(message, bytes) else message.as_bytes()
    status, _data = client.append("INBOX", None, None, raw)
    client.logout()
    assert status == "OK"


def mailbox_for(server, user, **fields):
    login, password = user
    fields = {"password": password, **fields}
    return make_mailbox(host="127.0.0.1", port=server.port, security=Mailbox.Security.NONE, username=login,
                        **fields)


@pytest.fixture
def client_with_address(manager):
    client = CounterpartyFactory(main_manager=manager, name="ООО «Гастроном»")
    person = ContactPersonFactory(counterparty=client, last_name="Петрова", first_name="Анна")
    ContactInfoFactory(counterparty=client, contact_person=person, kind="email", value="anna@buyer.ru")
    return client, person


def test_a_new_letter_lands_on_its_client_as_an_incoming_email(imap_server, imap_user, client_with_address,
                                                               manager, head):
    client, person = client_with_address
    mailbox = mailbox_for(imap_server, imap_user, responsible=head)
    deliver(imap_server, imap_user, letter(Message_ID="<q1@buyer.ru>"))
    assert services.poll(mailbox) == 1
    taken = IncomingLetter.objects.get()
    assert (taken.state, taken.counterparty, taken.contact_person) == (State.ATTACHED, client, person)
    assert taken.message_id == "<q1@buyer.ru>" and taken.sender_name == "Анна Петрова"
    interaction = taken.interaction
    assert interaction.counterparty == client and interaction.direction == Interaction.Direction.INCOMING
    assert interaction.type.code == "email" and interaction.state == Interaction.State.DONE
    assert interaction.subject == "Вопрос по холодильнику" and "Добрый день!" in interaction.content
    assert interaction.responsible == manager  # a shared mailbox: the client's manager
    assert list(interaction.contact_persons.all()) == [person]
    assert interaction.history.count() == 1 and taken.history.exists()
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 1 and mailbox.uidvalidity and mailbox.last_error == ""


def test_the_letter_stays_unread_for_the_mailboxs_own_users(imap_server, imap_user, head):
    deliver(imap_server, imap_user, letter())
    services.poll(mailbox_for(imap_server, imap_user, responsible=head))
    client = imaplib.IMAP4("127.0.0.1", imap_server.port)
    client.login(*imap_user)
    client.select("INBOX")
    _status, data = client.search(None, "UNSEEN")
    client.logout()
    assert data[0] == b"1"


def test_a_personal_mailbox_gives_the_letters_to_its_owner(imap_server, imap_user, client_with_address, teammate):
    mailbox = mailbox_for(imap_server, imap_user, owner=teammate)
    deliver(imap_server, imap_user, letter())
    services.poll(mailbox)
    assert Interaction.objects.get().responsible == teammate


def test_an_unknown_sender_waits_for_review_then_is_attached_and_remembered(
        imap_server, imap_user, manager, head, client_for):
    client = CounterpartyFactory(main_manager=manager, name="ИП Сидоров")
    mailbox = mailbox_for(imap_server, imap_user, responsible=head)
    deliver(imap_server, imap_user, letter(sender="sidorov@mail.ru", subject="Счёт"))
    services.poll(mailbox)
    waiting = IncomingLetter.objects.get()
    assert waiting.state == State.REVIEW and waiting.counterparty is None and not Interaction.objects.exists()

    page = client_for(manager).get(reverse("integrations:letter_list"))
    assert "Счёт" not in page.content.decode()  # not the manager's client (yet), not their mailbox
    assert "Счёт" in client_for(head).get(reverse("integrations:letter_list")).content.decode()

    response = client_for(head).post(reverse("integrations:letter_review", args=[waiting.pk]),
                                     {"counterparty": client.pk, "remember": "on"})
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.state == State.ATTACHED and waiting.interaction.counterparty == client
    assert ContactInfo.objects.filter(counterparty=client, kind="email", value="sidorov@mail.ru").exists()
    assert "Счёт" in client_for(manager).get(reverse("integrations:letter_list")).content.decode()

    deliver(imap_server, imap_user, letter(sender="sidorov@mail.ru", subject="Ещё вопрос"))
    services.poll(mailbox)
    assert IncomingLetter.objects.get(subject="Ещё вопрос").counterparty == client  # found alone now


def test_the_review_form_names_the_field_and_refuses_a_client_out_of_reach(manager, teammate, client_for, head):
    mailbox = make_mailbox(owner=manager)
    waiting = make_letter(mailbox)
    foreign = CounterpartyFactory(main_manager=teammate)
    response = client_for(manager).post(reverse("integrations:letter_review", args=[waiting.pk]),
                                        {"counterparty": foreign.pk})
    assert response.status_code == 400 and 'name="counterparty"' in response.content.decode()
    assert foreign.name not in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.state == State.REVIEW
    response = client_for(manager).post(reverse("integrations:letter_review", args=[waiting.pk]), {"ignore": "1"})
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.state == State.IGNORED


def test_a_restart_never_takes_a_letter_twice(imap_server, imap_user, client_with_address, head):
    mailbox = mailbox_for(imap_server, imap_user, responsible=head)
    deliver(imap_server, imap_user, letter(subject="Первое"))
    deliver(imap_server, imap_user, letter(subject="Второе"))
    assert services.poll(mailbox) == 2
    assert services.poll(Mailbox.objects.get(pk=mailbox.pk)) == 0  # a new worker, the same mailbox
    deliver(imap_server, imap_user, letter(subject="Третье"))
    assert services.poll(mailbox) == 1
    # A worker that died before its progress was saved: the letters are recognised, not taken again.
    Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=0)
    assert services.poll(mailbox) == 0
    assert IncomingLetter.objects.count() == 3 and Interaction.objects.count() == 3
    assert Mailbox.objects.get(pk=mailbox.pk).last_uid == 3


def test_a_new_uidvalidity_reads_again_without_duplicates(imap_server, imap_user, client_with_address, head):
    mailbox = mailbox_for(imap_server, imap_user, responsible=head)
    deliver(imap_server, imap_user, letter(Message_ID="<once@buyer.ru>"))
    services.poll(mailbox)
    Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=12345, last_uid=7)  # as if renumbered
    IncomingLetter.objects.update(uidvalidity=12345)
    assert services.poll(mailbox) == 0
    mailbox.refresh_from_db()
    assert mailbox.uidvalidity != 12345 and mailbox.last_uid == 1
    assert IncomingLetter.objects.count() == 1


def test_a_mailbox_held_by_another_worker_is_left_alone(imap_server, imap_user, head):
    mailbox = mailbox_for(imap_server, imap_user, responsible=head)
    assert services.claim(mailbox, mailbox.created_at)
    deliver(imap_server, imap_user, letter())
    assert services.poll(mailbox) is None and not IncomingLetter.objects.exists()


def test_a_reply_is_threaded_to_the_letter_we_sent(imap_server, imap_user, manager, head, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client = CounterpartyFactory(main_manager=manager)
    sent_about = Interaction.objects.create(
        type_id=Interaction._meta.get_field("type").related_model.by_code("email").pk, subject="Предложение",
        counterparty=client, responsible=manager, start=client.created_at)
    outgoing = email_service.queue_email("director@buyer.ru", "Предложение", "Цены", interaction=sent_about)
    assert email_service.send_email_now(outgoing.pk)
    outgoing.refresh_from_db()
    assert django_mail.outbox[0].extra_headers["Message-ID"] == outgoing.message_id
    assert outgoing.message_id.startswith("<") and outgoing.message_id.endswith(">")

    mailbox = mailbox_for(imap_server, imap_user, responsible=head)
    # Answered by a colleague whose address the base does not know: the thread finds the client.
    deliver(imap_server, imap_user, letter(sender="buyer@other.ru", subject="Re: Предложение",
                                           Message_ID="<r1@other.ru>", In_Reply_To=outgoing.message_id,
                                           References=outgoing.message_id))
    services.poll(mailbox)
    reply = IncomingLetter.objects.get()
    assert reply.counterparty == client and reply.reply_to_email == outgoing
    assert reply.interaction.basis == sent_about
    # And the next letter of that thread follows the reply.
    deliver(imap_server, imap_user, letter(sender="someone@else.ru", subject="Re: Re: Предложение",
                                           In_Reply_To="<unknown@else.ru>", References=f"{reply.message_id}"))
    services.poll(mailbox)
    assert IncomingLetter.objects.get(subject="Re: Re: Предложение").counterparty == client


def test_html_is_sanitised_and_gives_the_text(imap_server, imap_user, client_with_address, head):
    message = EmailMessage()
    message["From"] = "anna@buyer.ru"
    message["Subject"] = "HTML"
    message.set_content("<p onclick='steal()'>Цена <b>100</b></p><script>alert(1)</script>"
                        "<img src='http://tracker.example/p.gif'><a href='javascript:x()'>ссылка</a>",
                        subtype="html")
    deliver(imap_server, imap_user, message)
    services.poll(mailbox_for(imap_server, imap_user, responsible=head))
    taken = IncomingLetter.objects.get()
    assert "<b>100</b>" in taken.html
    for bad in ("script", "onclick", "tracker", "javascript"):
        assert bad not in taken.html
    assert taken.text.startswith("Цена 100") and "alert" not in taken.text
    assert "Цена 100" in taken.interaction.content


def test_a_wrong_password_is_recorded_not_raised(imap_server, imap_user, head):
    mailbox = mailbox_for(imap_server, imap_user, responsible=head, password="wrong")
    assert services.poll(mailbox) == 0
    mailbox.refresh_from_db()
    assert "AUTHENTICATIONFAILED" in mailbox.last_error or "failed" in mailbox.last_error.lower()
    assert mailbox.lease_until is None


def test_only_administrators_see_mailboxes_and_never_the_password(admin_user, manager, head, client_for, api):
    mailbox = make_mailbox(responsible=head, password="s3cret-imap")
    assert client_for(manager).get(reverse("integrations:mailbox_list")).status_code == 403
    assert client_for(head).get(reverse("integrations:mailbox_list")).status_code == 403
    page = client_for(admin_user).get(reverse("integrations:mailbox_edit", args=[mailbox.pk]))
    assert page.status_code == 200 and "s3cret-imap" not in page.content.decode()
    assert api(manager).get("/api/mailboxes/").status_code == 403
    body = api(admin_user).get(f"/api/mailboxes/{mailbox.pk}/").json()
    assert body["name"] == mailbox.name and "password" not in body


def test_mailbox_form_keeps_the_password_and_needs_a_responsible_for_a_shared_box(admin_user, client_for, head):
    mailbox = make_mailbox(responsible=head, password="old")
    data = {"name": mailbox.name, "host": "imap.example.com", "port": 993, "security": "ssl",
            "username": "u", "password": "", "folder": "INBOX", "responsible": head.pk, "active": "on",
            "version": mailbox.version}
    response = client_for(admin_user).post(reverse("integrations:mailbox_edit", args=[mailbox.pk]), data)
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.password == "old" and mailbox.host == "imap.example.com"
    response = client_for(admin_user).post(reverse("integrations:mailbox_add"),
                                           {**data, "name": "Shared", "password": "x", "responsible": ""})
    assert response.status_code == 400 and "A shared mailbox needs a responsible user." in response.content.decode()


def test_api_review_actions(manager, teammate, api):
    mine = CounterpartyFactory(main_manager=manager)
    waiting = make_letter(make_mailbox(owner=manager))
    foreign = CounterpartyFactory(main_manager=teammate)
    response = api(manager).post(f"/api/incoming-letters/{waiting.pk}/assign/", {"counterparty": foreign.pk},
                                 format="json")
    assert response.status_code == 400 and "counterparty" in response.json()
    assert api(teammate).post(f"/api/incoming-letters/{waiting.pk}/ignore/").status_code == 404
    response = api(manager).post(f"/api/incoming-letters/{waiting.pk}/assign/", {"counterparty": mine.pk},
                                 format="json")
    assert response.status_code == 200 and response.json()["state"] == "attached"
    response = api(manager).post(f"/api/incoming-letters/{waiting.pk}/ignore/")
    assert response.status_code == 400 and "state" in response.json()


def test_attachments_are_kept_with_the_letter_and_follow_its_access(
        imap_server, imap_user, client_with_address, head, manager, teammate, client_for, settings):
    settings.KLIENTURA_ATTACHMENT_MAX_MB = 1
    message = letter(subject="Договор")
    message.add_attachment(b"%PDF-1.4 contract", maintype="application", subtype="pdf", filename="Договор №5.pdf")
    message.add_attachment(b"x" * (1024 * 1024 + 1), maintype="application", subtype="octet-stream",
                           filename="huge.bin")
    deliver(imap_server, imap_user, message)
    assert services.poll(mailbox_for(imap_server, imap_user, responsible=head)) == 1
    taken = IncomingLetter.objects.get()
    (stored,) = attachments.attachments_of(taken, manager)
    assert stored.name == "Договор №5.pdf" and stored.mime_type == "application/pdf"
    assert "huge.bin" in taken.notes  # refused by the size limit, named; the letter came in all the same
    url = reverse("attachment_download", args=[stored.pk])
    response = client_for(manager).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 contract"
    assert client_for(teammate).get(url).status_code == 404
    page = client_for(manager).get(taken.get_absolute_url()).content.decode()
    assert "Договор №5.pdf" in page and "huge.bin" in page
