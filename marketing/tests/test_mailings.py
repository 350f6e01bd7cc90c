"""Email mailings: who gets one (consent, unsubscribes, valid and distinct addresses), the
template sandbox, sending through a real SMTP server on loopback with retries, exactly-once
claims, one-click unsubscribe, history and access."""

import datetime
import email
import email.policy

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from activities.models import Interaction
from activities.tests.background import smtp_down, smtp_server
from clients.models import ContactInfo, ContactKind, ContactPerson
from clients.tests.factories import CounterpartyFactory
from marketing import mailing_sender, mailings, personalize
from marketing.models import GroupMember, Mailing, MailingGroup, MailingRecipient, RecipientState, Segment

pytestmark = pytest.mark.django_db
S = RecipientState
NOW = datetime.datetime(2026, 12, 3, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _no_rate(settings):
    settings.KLIENTURA_MAILING_RATE = 0


def address(cp, value, person=None, consent=True, **kw):
    return ContactInfo.objects.create(counterparty=cp, contact_person=person, kind=ContactKind.EMAIL, value=value,
                                      consent_date=datetime.date(2026, 1, 10) if consent else None,
                                      consent_source="signed form" if consent else "", **kw)


@pytest.fixture
def base(manager):
    """Two clients of the manager: one with a consenting person, one with a mix of addresses."""
    romashka = CounterpartyFactory(name="Ромашка", main_manager=manager)
    anna = ContactPerson.objects.create(counterparty=romashka, last_name="Иванова", first_name="Анна",
                                        middle_name="Петровна")
    address(romashka, "anna@romashka.ru", person=anna)
    address(romashka, "office@romashka.ru")
    lilia = CounterpartyFactory(name="Лилия", main_manager=manager)
    address(lilia, "no-consent@lilia.ru", consent=False)
    address(lilia, "gone@lilia.ru", opted_out_at=NOW - datetime.timedelta(days=3))
    address(lilia, "ANNA@romashka.ru")  # the same address again (case differs)
    group = MailingGroup.objects.create(name="Клиенты")
    GroupMember.objects.create(group=group, counterparty=romashka)
    GroupMember.objects.create(group=group, counterparty=lilia)
    return {"romashka": romashka, "anna": anna, "lilia": lilia, "group": group}


def make_mailing(base, user, **kw):
    kw.setdefault("audience", "both")
    return Mailing.objects.create(name="Новогодняя акция", group=base["group"], subject="Акция для {{ client_name }}",
                                  body="Добрый день, {{ first_name }}!\nСкидка 10 %.", started_by=user, **kw)


def test_the_audience_takes_only_valid_consenting_distinct_addresses(base, marketer):
    found = mailings.audit(make_mailing(base, marketer), marketer)
    assert sorted(a for _, _, a in found.recipients) == ["anna@romashka.ru", "office@romashka.ru"]
    assert (found.no_consent, found.unsubscribed, found.duplicates) == (1, 1, 1)
    persons = mailings.audit(make_mailing(base, marketer, audience="persons"), marketer)
    assert [a for _, _, a in persons.recipients] == ["anna@romashka.ru"]
    own = mailings.audit(make_mailing(base, marketer, audience="clients"), marketer)
    assert sorted(a for _, _, a in own.recipients) == ["anna@romashka.ru", "office@romashka.ru"]


def test_a_segment_mailing_and_a_group_member_person(base, marketer):
    segment = Segment.objects.create(name="Ромашки", query="q=Ромашка")
    mailing = Mailing.objects.create(name="S", segment=segment, subject="x", body="y", audience="persons")
    assert [a for _, _, a in mailings.audit(mailing, marketer).recipients] == ["anna@romashka.ru"]
    group = MailingGroup.objects.create(name="Только Анна")
    GroupMember.objects.create(group=group, counterparty=base["romashka"], contact_person=base["anna"])
    only_anna = Mailing.objects.create(name="G", group=group, subject="x", body="y", audience="clients")
    assert [a for _, _, a in mailings.audit(only_anna, marketer).recipients] == ["anna@romashka.ru"]


def test_the_template_sandbox_replaces_only_named_variables():
    ctx = {"first_name": "Анна", "client_name": "Ромашка"}
    text = ("Добрый день, {{ first_name }}! {{first_name}} {% if x %}{% endif %} {{ client.main_manager.password }} "
            "{{ first_name|upper }} {{ secret }} {% load static %}")
    assert personalize.render(text, ctx) == (
        "Добрый день, Анна! Анна {% if x %}{% endif %} {{ client.main_manager.password }} "
        "{{ first_name|upper }} {{ secret }} {% load static %}")
    assert personalize.unknown_variables(text) == ["secret"]
    assert personalize.subject_line("Акция\r\nBcc: all@example.com") == "Акция Bcc: all@example.com"


def start_and_send(mailing, user):
    mailings.start(mailing, user, site_url="http://crm.example")
    return mailing_sender.send_mailing(mailing.pk)


@time_machine.travel(NOW, tick=True)
def test_sending_through_smtp_personalises_records_history_and_finishes(base, marketer, settings):
    mailing = make_mailing(base, marketer)
    with smtp_server(settings) as inbox:
        assert start_and_send(mailing, marketer) == 2
    assert sorted(e.rcpt_tos[0] for e in inbox.envelopes) == ["anna@romashka.ru", "office@romashka.ru"]
    by_to = {str(m["To"]): m for m in inbox.messages}
    anna = by_to["anna@romashka.ru"]
    assert str(anna["Subject"]) == "Акция для Ромашка"
    assert "Добрый день, Анна!" in anna.get_content()
    assert "Добрый день, Ромашка!" in by_to["office@romashka.ru"].get_content()
    assert anna["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = str(anna["List-Unsubscribe"]).strip().strip("<>")
    assert link.startswith("http://crm.example/unsubscribe/")
    mailing.refresh_from_db()
    assert mailing.state == Mailing.State.DONE and mailing.finished_at is not None
    assert mailing.stats == {"recipients": 2, "no_consent": 1, "unsubscribed": 1, "invalid": 0, "duplicates": 1}
    rows = MailingRecipient.objects.filter(mailing=mailing)
    assert {r.state for r in rows} == {S.SENT} and all(r.interaction_id for r in rows)
    history = Interaction.objects.filter(counterparty=base["romashka"], type__code="email")
    assert history.count() == 2
    assert list(history.get(contact_persons=base["anna"]).contact_persons.all()) == [base["anna"]]
    assert history.first().responsible == marketer
    progress = mailings.progress(mailing)
    assert (progress["total"], progress["delivered"], progress["percent"]) == (2, 2, 100)


@time_machine.travel(NOW, tick=True)
def test_one_click_unsubscribe_is_honoured_by_the_next_mailing(base, marketer, client, settings):
    with smtp_server(settings) as inbox:
        start_and_send(make_mailing(base, marketer), marketer)
        msg = next(m for m in inbox.messages if str(m["To"]) == "office@romashka.ru")
        link = str(msg["List-Unsubscribe"]).strip().strip("<>").replace("http://crm.example", "")
        page = client.get(link)
        assert page.status_code == 200 and 'data-testid="unsubscribe-confirm"' in page.content.decode()
        assert ContactInfo.objects.get(value="office@romashka.ru").opted_out_at is None  # GET changes nothing
        assert client.post(link, {"List-Unsubscribe": "One-Click"}).status_code == 200
        assert ContactInfo.objects.get(value="office@romashka.ru").opted_out_at is not None
        assert client.post(link).status_code == 200  # again: still fine
        assert client.get("/unsubscribe/forged:token/").status_code == 404
        inbox.envelopes.clear()
        second = make_mailing(base, marketer)
        start_and_send(second, marketer)
    assert [e.rcpt_tos[0] for e in inbox.envelopes] == ["anna@romashka.ru"]
    assert second.refresh_from_db() or Mailing.objects.get(pk=second.pk).stats["unsubscribed"] == 2


@time_machine.travel(NOW, tick=True)
def test_consent_withdrawn_after_the_start_stops_that_message(base, marketer, settings):
    mailing = make_mailing(base, marketer)
    mailings.start(mailing, marketer)
    ContactInfo.objects.filter(value="office@romashka.ru").update(opted_out_at=timezone.now())
    with smtp_server(settings) as inbox:
        mailing_sender.send_mailing(mailing.pk)
    assert [e.rcpt_tos[0] for e in inbox.envelopes] == ["anna@romashka.ru"]
    assert MailingRecipient.objects.get(address="office@romashka.ru").state == S.UNSUBSCRIBED
    assert Mailing.objects.get(pk=mailing.pk).state == Mailing.State.DONE


def test_a_server_that_is_down_means_retries_then_failure(base, marketer, settings):
    mailing = make_mailing(base, marketer)
    with time_machine.travel(NOW, tick=False) as clock:
        mailings.start(mailing, marketer)
        smtp_down(settings)
        assert mailing_sender.send_mailing(mailing.pk) == 0
        rows = MailingRecipient.objects.filter(mailing=mailing)
        assert {(r.state, r.attempts) for r in rows} == {(S.QUEUED, 1)}
        assert all(r.next_attempt_at == NOW + datetime.timedelta(minutes=1) for r in rows)
        assert "ConnectionRefused" in rows[0].last_error
        assert mailing_sender.send_mailing(mailing.pk) == 0  # not due yet: nothing tried
        assert {r.attempts for r in rows.all()} == {1}
        for _ in range(mailing_sender.MAX_ATTEMPTS - 1):
            clock.shift(datetime.timedelta(hours=1))
            mailing_sender.send_mailing(mailing.pk)
        assert {(r.state, r.attempts) for r in rows.all()} == {(S.FAILED, mailing_sender.MAX_ATTEMPTS)}
        assert Mailing.objects.get(pk=mailing.pk).state == Mailing.State.DONE
        assert not Interaction.objects.filter(type__code="email").exists()


@time_machine.travel(NOW, tick=True)
def test_a_refused_recipient_fails_and_the_rest_go_out(base, marketer, settings):
    mailing = make_mailing(base, marketer)
    mailings.start(mailing, marketer)
    with smtp_server(settings) as inbox:
        original = inbox.handle_DATA

        async def refuse_office(server, session, envelope):
            if envelope.rcpt_tos == ["office@romashka.ru"]:
                return "550 Mailbox unavailable"
            return await original(server, session, envelope)

        inbox.handle_DATA = refuse_office
        mailing_sender.send_mailing(mailing.pk)
    office = MailingRecipient.objects.get(address="office@romashka.ru")
    assert office.state == S.FAILED and "550" in office.last_error and office.interaction_id is None
    assert MailingRecipient.objects.get(address="anna@romashka.ru").state == S.SENT
    assert [e.rcpt_tos[0] for e in inbox.envelopes] == ["anna@romashka.ru"]


@time_machine.travel(NOW, tick=True)
def test_claims_are_exclusive_and_a_dead_workers_batch_is_sent_once(base, marketer, settings):
    settings.KLIENTURA_MAILING_LEASE = 60
    mailing = make_mailing(base, marketer)
    mailings.start(mailing, marketer)
    now = timezone.now()
    first = mailing_sender.claim_batch(mailing.pk, "dead-worker", now)
    assert len(first) == 2 and mailing_sender.claim_batch(mailing.pk, "other", now) == []
    assert not mailing_sender.hand_over(first[0], "other")  # not its row
    # The dead worker had handed one message over (the server has it) before it died.
    assert mailing_sender.hand_over(first[0], "dead-worker")
    with smtp_server(settings) as inbox:
        assert mailing_sender.send_mailing(mailing.pk) == 0  # lease still running: nothing to do
        with time_machine.travel(now + datetime.timedelta(seconds=61), tick=True):
            assert mailing_sender.send_mailing(mailing.pk) == 1
    assert [e.rcpt_tos[0] for e in inbox.envelopes] == [MailingRecipient.objects.get(pk=first[1]).address]
    states = dict(MailingRecipient.objects.values_list("pk", "state"))
    assert states == {first[0]: S.HANDED_OVER, first[1]: S.SENT}
    assert MailingRecipient.objects.get(pk=first[1]).attempts == 1  # the lost try counts
    # Both are in the history once, the handed-over one too.
    assert Interaction.objects.filter(type__code="email").count() == 2
    assert Mailing.objects.get(pk=mailing.pk).state == Mailing.State.DONE


def test_an_email_message_is_dot_stuffed_and_complete(base, marketer, settings):
    mailing = make_mailing(base, marketer)
    mailing.body = "Строка\n.\n..точки\nконец"
    mailing.save()
    with time_machine.travel(NOW, tick=True), smtp_server(settings) as inbox:
        start_and_send(mailing, marketer)
    body = email.message_from_bytes(inbox.envelopes[0].original_content, policy=email.policy.default).get_content()
    assert body.splitlines()[:4] == ["Строка", ".", "..точки", "конец"]


def test_sending_is_paced_by_the_rate_unless_told_otherwise(base, marketer, settings, monkeypatch):
    """KLIENTURA_MAILING_RATE spaces the messages; ``rate=0`` (the demo's mailing) does not wait."""
    waits = []
    monkeypatch.setattr(mailing_sender.time, "sleep", waits.append)
    settings.KLIENTURA_MAILING_RATE = 1
    backend = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(NOW, tick=True):
        paced = make_mailing(base, marketer)
        mailings.start(paced, marketer)
        assert mailing_sender.send_mailing(paced.pk, email_backend=backend) == 2
        assert len(waits) == 1 and 0 < waits[0] <= 1  # the second message waited for its second
        waits.clear()
        unpaced = make_mailing(base, marketer)
        mailings.start(unpaced, marketer)
        assert mailing_sender.send_mailing(unpaced.pk, email_backend=backend, rate=0) == 2
    assert waits == []


def test_pause_resume_cancel(base, marketer, client_for, settings):
    mailing = make_mailing(base, marketer)
    c = client_for(marketer)
    with time_machine.travel(NOW, tick=True), smtp_server(settings) as inbox:
        assert c.post(reverse("marketing:mailing_action", args=[mailing.pk, "start"])).status_code == 302
        assert c.post(reverse("marketing:mailing_action", args=[mailing.pk, "pause"])).status_code == 302
        assert mailing_sender.send_mailing(mailing.pk) == 0 and not inbox.envelopes
        c.post(reverse("marketing:mailing_action", args=[mailing.pk, "resume"]))
        assert mailing_sender.send_mailing(mailing.pk, max_batches=0) == 0
        c.post(reverse("marketing:mailing_action", args=[mailing.pk, "cancel"]))
        assert mailing_sender.send_mailing(mailing.pk) == 0 and not inbox.envelopes
    mailing.refresh_from_db()
    assert mailing.state == Mailing.State.CANCELLED
    assert [h.state for h in mailing.history.order_by("history_id")][-3:] == ["paused", "sending", "cancelled"]
    # Started: only the name and the campaign can change; starting twice is refused.
    form = c.get(reverse("marketing:mailing_edit", args=[mailing.pk])).context["form"]
    assert set(form.fields) == {"name", "campaign", "version"}
    c.post(reverse("marketing:mailing_edit", args=[mailing.pk]),
           {"name": "Переименована", "version": mailing.version, "body": "{% changed %}"})
    mailing.refresh_from_db()
    assert (mailing.name, mailing.body) == ("Переименована", "Добрый день, {{ first_name }}!\nСкидка 10 %.")
    with pytest.raises(mailings.MailingStateError):
        mailings.start(mailing, marketer)


def test_access(base, marketer, manager, teammate, client_for):
    mailing = make_mailing(base, marketer)
    theirs = CounterpartyFactory(name="Чужой", main_manager=teammate)
    address(theirs, "stranger@example.com")
    GroupMember.objects.create(group=base["group"], counterparty=theirs)
    # A sales manager neither creates nor starts mailings.
    assert client_for(manager).get(reverse("marketing:mailing_add")).status_code == 403
    start = reverse("marketing:mailing_action", args=[mailing.pk, "start"])
    assert client_for(manager).post(start).status_code in (403, 404)
    assert Mailing.objects.get(pk=mailing.pk).state == Mailing.State.DRAFT
    # The marketer starts it for everyone; the manager sees only their own clients' rows.
    with time_machine.travel(NOW, tick=True):
        assert client_for(marketer).post(start).status_code == 302
    page = client_for(manager).get(mailing.get_absolute_url()).content.decode()
    assert "anna@romashka.ru" in page and "stranger@example.com" not in page
    assert "stranger@example.com" in client_for(marketer).get(mailing.get_absolute_url()).content.decode()


def test_the_mailing_form_and_preview(base, marketer, client_for):
    c = client_for(marketer)
    data = {"name": "Акция", "channel": "email", "group": base["group"].pk, "audience": "both",
            "subject": "", "body": "Здравствуйте, {{ nickname }}!"}
    resp = c.post(reverse("marketing:mailing_add"), data)
    assert resp.status_code == 400
    errors = resp.context["form"].errors
    assert "subject" in errors and "nickname" in str(errors["body"])
    data.update(subject="Акция", body="Здравствуйте, {{ first_name }} {{ middle_name }}!")
    assert c.post(reverse("marketing:mailing_add"), data).status_code == 302
    mailing = Mailing.objects.get(name="Акция")
    page = c.get(mailing.get_absolute_url(), {"client": base["romashka"].pk, "person": base["anna"].pk})
    assert "Здравствуйте, Анна Петровна!" in page.content.decode()
    assert 'data-testid="audit-recipients">2<' in page.content.decode()
    both = c.post(reverse("marketing:mailing_add"), {**data, "segment": Segment.objects.create(name="x").pk})
    assert both.status_code == 400 and "segment" in both.context["form"].errors


@time_machine.travel(NOW, tick=False)
def test_consent_is_validated_on_the_contact(manager):
    from django.core.exceptions import ValidationError

    cp = CounterpartyFactory(main_manager=manager)

    def errors(**kw):
        info = ContactInfo(counterparty=cp, kind=kw.pop("kind", ContactKind.EMAIL), value="a@b.ru", **kw)
        with pytest.raises(ValidationError) as exc:
            info.full_clean()
        return exc.value.message_dict

    assert "consent_source" in errors(consent_date=datetime.date(2026, 1, 1))
    assert "consent_date" in errors(consent_date=datetime.date(2026, 12, 24), consent_source="форма")
    assert "consent_date" in errors(consent_source="форма")
    assert "consent_date" in errors(kind=ContactKind.WEBSITE, consent_date=datetime.date(2026, 1, 1),
                                    consent_source="форма")
    # Given again on a later day than the unsubscribe: mailings may go there again.
    info = address(cp, "back@b.ru", opted_out_at=NOW - datetime.timedelta(days=10))
    info.full_clean()
    assert info.opted_out_at is not None and not info.may_mail
    info.consent_date = datetime.date(2026, 12, 1)
    info.full_clean()
    assert info.opted_out_at is None and info.may_mail
