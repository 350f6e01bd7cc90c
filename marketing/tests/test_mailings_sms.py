"""SMS mailings: mobile numbers with consent, the segment count shown before sending, sending
through the gateway with the same claims as email, gateway errors retried and reported."""

import datetime

import pytest
import time_machine

from activities.models import Interaction
from clients.models import ContactInfo, ContactKind, ContactPerson
from clients.tests.factories import CounterpartyFactory
from marketing import mailing_sender, mailings, sms
from marketing.models import GroupMember, Mailing, MailingGroup, MailingRecipient, RecipientState

from .test_sms import http_settings, provider  # noqa: F401  (the local HTTP gateway fixture)

pytestmark = pytest.mark.django_db
S = RecipientState
NOW = datetime.datetime(2026, 12, 3, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _quiet(settings):
    settings.KLIENTURA_MAILING_RATE = 0
    settings.KLIENTURA_SMS_BACKEND = "console"
    sms.outbox.clear()


@pytest.fixture
def group(manager):
    cp = CounterpartyFactory(name="Ромашка", main_manager=manager)
    anna = ContactPerson.objects.create(counterparty=cp, last_name="Иванова", first_name="Анна")
    consent = {"consent_date": datetime.date(2026, 1, 10), "consent_source": "анкета"}
    ContactInfo.objects.create(counterparty=cp, contact_person=anna, kind=ContactKind.MOBILE, value="+79161234567",
                               **consent)
    ContactInfo.objects.create(counterparty=cp, kind=ContactKind.PHONE, value="+74951234567", **consent)  # landline
    ContactInfo.objects.create(counterparty=cp, kind=ContactKind.MOBILE, value="+79167654321")  # no consent
    group = MailingGroup.objects.create(name="SMS")
    GroupMember.objects.create(group=group, counterparty=cp)
    return group


def sms_mailing(group, user):
    return Mailing.objects.create(name="SMS-акция", channel="sms", group=group, started_by=user,
                                  body="{{ first_name }}, скидка 10 % до пятницы!")


def test_only_consenting_mobile_numbers_are_taken(group, marketer):
    found = mailings.audit(sms_mailing(group, marketer), marketer)
    assert [a for _, _, a in found.recipients] == ["+79161234567"]
    assert (found.invalid, found.no_consent) == (1, 1)  # the landline cannot take an SMS


def test_the_mailing_page_shows_the_segment_count(group, marketer, client_for):
    mailing = sms_mailing(group, marketer)
    page = client_for(marketer).get(mailing.get_absolute_url()).content.decode()
    assert 'data-testid="sms-segments"' in page and "UCS-2" in page
    assert "Анна, скидка 10 % до пятницы!" in page


@time_machine.travel(NOW, tick=True)
def test_an_sms_mailing_goes_through_the_gateway_once_and_into_the_history(group, marketer):
    mailing = sms_mailing(group, marketer)
    mailings.start(mailing, marketer)
    assert mailing_sender.send_mailing(mailing.pk) == 1
    assert mailing_sender.send_mailing(mailing.pk) == 0
    assert [(m.to, m.text) for m in sms.outbox] == [("+79161234567", "Анна, скидка 10 % до пятницы!")]
    recipient = MailingRecipient.objects.get()
    assert sms.outbox[0].reference == f"mailing-{mailing.pk}-{recipient.pk}"
    assert recipient.state == S.SENT and recipient.provider_id == sms.outbox[0].message_id
    assert Interaction.objects.get(type__code="sms").content == "Анна, скидка 10 % до пятницы!"
    assert Mailing.objects.get(pk=mailing.pk).state == Mailing.State.DONE


def test_gateway_errors_are_retried_and_reported(group, marketer, provider):  # noqa: F811
    mailing = sms_mailing(group, marketer)
    provider.script = [(503, {"error": "busy"}, 0), (200, {"messages": [{"id": "p-7"}]}, 0)]
    with http_settings(provider), time_machine.travel(NOW, tick=False) as clock:
        mailings.start(mailing, marketer)
        assert mailing_sender.send_mailing(mailing.pk) == 0
        recipient = MailingRecipient.objects.get()
        assert (recipient.state, recipient.attempts) == (S.QUEUED, 1) and "503" in recipient.last_error
        clock.shift(datetime.timedelta(minutes=2))
        assert mailing_sender.send_mailing(mailing.pk) == 1
    recipient.refresh_from_db()
    assert (recipient.state, recipient.provider_id) == (S.SENT, "p-7")
    assert len(provider.requests) == 2
    assert {r["headers"].get("Idempotency-Key") for r in provider.requests} == {f"mailing-{mailing.pk}-{recipient.pk}"}


def test_a_refusal_fails_the_recipient(group, marketer, provider):  # noqa: F811
    mailing = sms_mailing(group, marketer)
    provider.script = [(400, {"error": "bad sender"}, 0)]
    with http_settings(provider), time_machine.travel(NOW, tick=True):
        mailings.start(mailing, marketer)
        mailing_sender.send_mailing(mailing.pk)
    recipient = MailingRecipient.objects.get()
    assert recipient.state == S.FAILED and "400" in recipient.last_error
    assert not Interaction.objects.filter(type__code="sms").exists()
    assert Mailing.objects.get(pk=mailing.pk).state == Mailing.State.DONE
