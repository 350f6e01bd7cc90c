"""The mailings API (issue 11): CRUD with errors naming the field, start / pause / resume / cancel
(409 on a wrong state), audit and progress, the recipients scoped to the reader, the started
mailing's frozen fields, who may write; and the endpoints' conformance to their schema."""

import datetime

import pytest

from activities.tests.background import smtp_server
from clients.models import ContactInfo, ContactKind, ContactPerson
from clients.tests.factories import CounterpartyFactory
from marketing import mailing_sender
from marketing.models import GroupMember, Mailing, MailingGroup, MailingRecipient, RecipientState
from marketing.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_rate(settings):
    settings.KLIENTURA_MAILING_RATE = 0


def address(cp, value, person=None, consent=True, **kw):
    return ContactInfo.objects.create(counterparty=cp, contact_person=person, kind=ContactKind.EMAIL, value=value,
                                      consent_date=datetime.date(2026, 1, 10) if consent else None,
                                      consent_source="signed form" if consent else "", **kw)


@pytest.fixture
def base(manager, teammate):
    """The manager's two clients (two consenting addresses, one without consent, a duplicate) and
    the teammate's client (one consenting address), all in one mailing group."""
    romashka = CounterpartyFactory(name="Ромашка", main_manager=manager)
    anna = ContactPerson.objects.create(counterparty=romashka, last_name="Иванова", first_name="Анна")
    address(romashka, "anna@romashka.ru", person=anna)
    address(romashka, "office@romashka.ru")
    lilia = CounterpartyFactory(name="Лилия", main_manager=manager)
    address(lilia, "no-consent@lilia.ru", consent=False)
    address(lilia, "ANNA@romashka.ru")
    vasilek = CounterpartyFactory(name="Василёк", main_manager=teammate)
    address(vasilek, "info@vasilek.ru")
    group = MailingGroup.objects.create(name="Клиенты")
    for cp in (romashka, lilia, vasilek):
        GroupMember.objects.create(group=group, counterparty=cp)
    return {"romashka": romashka, "lilia": lilia, "vasilek": vasilek, "group": group}


def payload(base, **kw):
    data = {"name": "Новогодняя акция", "channel": "email", "group": base["group"].pk,
            "subject": "Акция для {{ client_name }}", "body": "Добрый день, {{ first_name }}!"}
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def mailing(api, marketer, base):
    resp = api(marketer).post("/api/mailings/", payload(base), format="json")
    assert resp.status_code == 201, resp.content
    return resp.json()


def url(mailing, action=""):
    return f"/api/mailings/{mailing['id']}/" + (f"{action}/" if action else "")


def test_create_errors_name_the_field(api, marketer, base):
    c = api(marketer)
    cases = [
        ({"group": None}, "segment"),  # neither a segment nor a group
        ({"segment": _segment().pk}, "segment"),  # both
        ({"subject": " "}, "subject"),  # an email needs a subject
        ({"body": "Hi {{ first_name }}, {{ secret }}"}, "body"),  # unknown variables
        ({"subject": "For {{ client.password }} {{ nope }}"}, "subject"),
        ({"channel": "fax"}, "channel"),
        ({"name": ""}, "name"),
    ]
    for change, field in cases:
        resp = c.post("/api/mailings/", payload(base, **change), format="json")
        assert resp.status_code == 400, (change, resp.content)
        assert field in resp.json(), (change, resp.json())
    assert "secret" in str(c.post("/api/mailings/", payload(base, body="{{ secret }}"), format="json").json())
    assert not Mailing.objects.exists()
    # An SMS needs no subject.
    resp = c.post("/api/mailings/", payload(base, channel="sms", subject=""), format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["state"] == "draft" and resp.json()["stats"] is None


def _segment():
    from marketing.models import Segment

    return Segment.objects.create(name="Все", query="")


def test_a_sales_manager_reads_but_does_not_write(api, manager, marketer, base, mailing):
    c = api(manager)
    assert c.get("/api/mailings/").status_code == 200
    assert c.get(url(mailing)).json()["name"] == "Новогодняя акция"
    assert c.post("/api/mailings/", payload(base), format="json").status_code == 403
    assert c.patch(url(mailing), {"name": "X", "version": mailing["version"]}, format="json").status_code == 403
    for act in ("start", "pause", "resume", "cancel"):
        assert c.post(url(mailing, act)).status_code == 403, act
    assert c.delete(url(mailing)).status_code == 403
    assert Mailing.objects.get().state == Mailing.State.DRAFT
    assert not MailingRecipient.objects.exists()


def test_start_pause_resume_cancel_and_409_on_a_wrong_state(api, marketer, base, mailing):
    c = api(marketer)
    audit = c.get(url(mailing, "audit")).json()
    assert audit == {"recipients": 3, "no_consent": 1, "unsubscribed": 0, "invalid": 0, "duplicates": 1}
    for act in ("pause", "resume", "cancel"):  # a draft is only started
        resp = c.post(url(mailing, act))
        assert resp.status_code == 409, act
        assert resp.json()["detail"] and resp.json()["code"] == "state"

    resp = c.post(url(mailing, "start"))
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["state"] == "sending" and body["started_by"] == marketer.pk and body["started_at"]
    assert body["stats"] == audit
    assert sorted(MailingRecipient.objects.values_list("address", flat=True)) == [
        "anna@romashka.ru", "info@vasilek.ru", "office@romashka.ru"]
    assert Mailing.objects.get().site_url == "http://testserver"
    assert c.post(url(mailing, "start")).status_code == 409
    assert c.post(url(mailing, "resume")).status_code == 409

    assert c.post(url(mailing, "pause")).json()["state"] == "paused"
    assert c.post(url(mailing, "pause")).status_code == 409
    assert c.post(url(mailing, "resume")).json()["state"] == "sending"
    resp = c.post(url(mailing, "cancel"))
    assert resp.json()["state"] == "cancelled" and resp.json()["finished_at"]
    for act in ("start", "pause", "resume", "cancel"):
        assert c.post(url(mailing, act)).status_code == 409, act
    # The audit of a started mailing is the one fixed at the start, whatever happens to the contacts.
    ContactInfo.objects.filter(value="office@romashka.ru").update(opted_out_at=datetime.datetime.now(datetime.UTC))
    assert c.get(url(mailing, "audit")).json() == audit
    history = c.get(url(mailing, "history")).json()
    assert len(history) >= 5


def test_after_the_start_only_name_and_campaign_change(api, marketer, base, mailing):
    c = api(marketer)
    c.post(url(mailing, "start"))
    current = c.get(url(mailing)).json()
    resp = c.patch(url(mailing), {"body": "Другой текст", "version": current["version"]}, format="json")
    assert resp.status_code == 400 and set(resp.json()) == {"body"}
    resp = c.patch(url(mailing), {"group": None, "audience": "persons", "version": current["version"]},
                   format="json")
    assert resp.status_code == 400 and set(resp.json()) == {"group", "audience"}
    campaign = CampaignFactory(name="Зима")
    resp = c.patch(url(mailing), {"name": "Переименована", "campaign": campaign.pk, "version": current["version"]},
                   format="json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["name"] == "Переименована" and resp.json()["campaign"] == campaign.pk
    # A PUT may repeat the frozen fields unchanged.
    full = resp.json()
    put = {k: full[k] for k in ("name", "channel", "campaign", "segment", "group", "audience", "subject", "body")}
    resp = c.put(url(mailing), {**put, "name": "Снова", "version": full["version"]}, format="json")
    assert resp.status_code == 200, resp.content
    resp = c.put(url(mailing), {**put, "subject": "Новая тема", "version": resp.json()["version"]}, format="json")
    assert resp.status_code == 400 and set(resp.json()) == {"subject"}
    assert Mailing.objects.get().body == "Добрый день, {{ first_name }}!"


def test_a_draft_is_edited_deleted_and_restored(api, marketer, head, base, mailing):
    c = api(marketer)
    resp = c.patch(url(mailing), {"body": "{{ full_name }}, привет", "version": mailing["version"]}, format="json")
    assert resp.status_code == 200, resp.content
    resp = c.patch(url(mailing), {"body": "{{ x }}", "version": resp.json()["version"]}, format="json")
    assert resp.status_code == 400 and "body" in resp.json()
    resp = c.patch(url(mailing), {"body": "Стало", "version": mailing["version"]}, format="json")
    assert resp.status_code == 409  # a stale version
    # Marketers do not delete (their role has no delete at all); heads and administrators do.
    assert c.delete(url(mailing)).status_code == 403
    assert api(head).delete(url(mailing)).status_code == 204
    assert Mailing.all_objects.get().is_deleted
    assert c.get(url(mailing)).status_code == 404
    assert c.post(url(mailing, "restore")).status_code == 403
    assert api(head).post(url(mailing, "restore")).status_code == 200
    assert not Mailing.objects.get().is_deleted


def test_recipients_and_progress_are_scoped_to_the_reader(api, marketer, manager, teammate, head, base, mailing):
    api(marketer).post(url(mailing, "start"))
    mine = api(manager).get("/api/mailing-recipients/", {"mailing": mailing["id"]}).json()["results"]
    assert [r["id"] for r in mine] == sorted(r["id"] for r in mine)  # by pk
    by_address = {r["address"]: r for r in mine}
    assert set(by_address) == {"anna@romashka.ru", "office@romashka.ru"}
    assert {r["counterparty_name"] for r in mine} == {"Ромашка"}
    assert "Анна" in by_address["anna@romashka.ru"]["contact_person_name"]
    assert by_address["office@romashka.ru"]["contact_person_name"] is None
    theirs = MailingRecipient.objects.get(address="info@vasilek.ru")
    assert api(manager).get(f"/api/mailing-recipients/{theirs.pk}/").status_code == 404
    assert api(teammate).get(f"/api/mailing-recipients/{theirs.pk}/").status_code == 200
    everyone = api(marketer).get("/api/mailing-recipients/", {"mailing": mailing["id"], "page_size": 2}).json()
    assert len(everyone["results"]) == 2 and everyone["next"]
    rest = api(marketer).get(everyone["next"]).json()["results"]
    assert [r["address"] for r in everyone["results"] + rest] == [
        r.address for r in MailingRecipient.objects.order_by("pk")]
    # Recipients are read-only.
    assert api(head).delete(f"/api/mailing-recipients/{theirs.pk}/").status_code == 405
    assert api(marketer).patch(f"/api/mailing-recipients/{theirs.pk}/", {"state": "sent"}).status_code == 405

    MailingRecipient.objects.filter(address="office@romashka.ru").update(state=RecipientState.FAILED)
    failed = api(manager).get("/api/mailing-recipients/", {"state": "failed"}).json()["results"]
    assert [r["address"] for r in failed] == ["office@romashka.ru"]
    assert api(teammate).get("/api/mailing-recipients/", {"state": "failed"}).json()["results"] == []

    progress = api(manager).get(url(mailing, "progress")).json()
    assert (progress["total"], progress["done"], progress["delivered"], progress["percent"]) == (2, 1, 0, 50)
    counts = {row["state"]: row["count"] for row in progress["states"]}
    assert counts == {"queued": 1, "sending": 0, "handed": 0, "sent": 0, "failed": 1, "unsubscribed": 0}
    assert api(teammate).get(url(mailing, "progress")).json()["total"] == 1
    assert api(marketer).get(url(mailing, "progress")).json()["total"] == 3


def test_a_started_mailing_is_sent_and_its_progress_shows_it(api, marketer, manager, base, mailing, settings):
    api(marketer).post(url(mailing, "start"))
    with smtp_server(settings) as inbox:
        assert mailing_sender.send_mailing(mailing["id"]) == 3
    assert sorted(e.rcpt_tos[0] for e in inbox.envelopes) == ["anna@romashka.ru", "info@vasilek.ru",
                                                               "office@romashka.ru"]
    body = api(marketer).get(url(mailing)).json()
    assert body["state"] == "done" and body["finished_at"]
    progress = api(manager).get(url(mailing, "progress")).json()
    assert (progress["total"], progress["delivered"], progress["percent"]) == (2, 2, 100)
    assert api(manager).get("/api/mailing-recipients/", {"state": "sent"}).json()["results"][0]["sent_at"]


def test_a_started_mailing_without_recipients_is_done_at_once(api, marketer, base):
    empty = MailingGroup.objects.create(name="Пусто")
    resp = api(marketer).post("/api/mailings/", payload(base, group=empty.pk), format="json")
    resp = api(marketer).post(url(resp.json(), "start"))
    assert resp.status_code == 200 and resp.json()["state"] == "done"
    assert resp.json()["stats"]["recipients"] == 0


# --- The schema tells the truth about these endpoints (as core/tests/test_schema.py for all) ---------

def test_mailing_endpoints_conform_to_their_schema(admin_user, base, keep_connection, subtests):
    import schemathesis
    from rest_framework.authtoken.models import Token

    from core.tests.test_schema import run_operation
    from klientura.wsgi import application

    mailing = Mailing.objects.create(name="Схема", group=base["group"], subject="S", body="B")
    MailingRecipient.objects.create(mailing=mailing, counterparty=base["romashka"], address="x@romashka.ru")
    headers = {"Authorization": f"Token {Token.objects.create(user=admin_user).key}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    mine = [op for op in operations if op.path.startswith(("/api/mailings/", "/api/mailing-recipients/"))]
    assert len(mine) >= 14
    for operation in mine:
        with subtests.test(operation=operation.label):
            run_operation(operation, headers)


@pytest.fixture
def keep_connection():
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)
