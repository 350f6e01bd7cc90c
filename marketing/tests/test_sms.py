"""SMS: segment counting, the console and HTTP gateways (against a real local HTTP server), the
queue (exactly-once claim, retries with backoff, failures reported), the client card's SMS tab
with its access rules, and the API."""

import base64
import datetime as dt
import json
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from activities.models import Interaction
from clients.models import ContactInfo, ContactKind, ContactPerson
from clients.tests.factories import CounterpartyFactory
from core import registry
from marketing import services_sms, sms
from marketing.models import OutgoingSms
from marketing.tasks import SMS_QUEUE

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 4, 9, 0, tzinfo=dt.UTC)
KEY = "k" * 24


@pytest.fixture(autouse=True)
def _empty_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


# --- Segments -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "encoding", "chars", "parts", "per_part"), [
    ("", "GSM-7", 0, 0, 160),
    ("a" * 160, "GSM-7", 160, 1, 160),
    ("a" * 161, "GSM-7", 161, 2, 153),
    ("a" * 306, "GSM-7", 306, 2, 153),
    ("a" * 307, "GSM-7", 307, 3, 153),
    ("€" * 80, "GSM-7", 160, 1, 160),  # extension characters take two septets
    ("€" + "a" * 159, "GSM-7", 161, 2, 153),
    ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3, 153),  # an escape pair is never split
    ("Hello {name} [ok] ~^|\\", "GSM-7", 30, 1, 160),
    ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà", "GSM-7", 41, 1, 160),
    ("Привет", "UCS-2", 6, 1, 70),
    ("Ж" * 70, "UCS-2", 70, 1, 70),
    ("Ж" * 71, "UCS-2", 71, 2, 67),
    ("a" * 159 + "ç", "UCS-2", 160, 3, 67),  # ç is not GSM-7 (Ç is): the whole text turns UCS-2
    ("😀", "UCS-2", 2, 1, 70),  # UTF-16 code units: an emoji outside the BMP counts 2
    ("😀" * 35, "UCS-2", 70, 1, 70),
    ("😀" * 36, "UCS-2", 72, 2, 67),
    ("Ж" * 66 + "😀" + "Ж" * 66, "UCS-2", 134, 3, 67),  # a surrogate pair is never split
])
def test_segments(text, encoding, chars, parts, per_part):
    counted = sms.segments(text)
    assert (counted.encoding, counted.chars, counted.segments, counted.per_segment) == (
        encoding, chars, parts, per_part)


def test_segments_remaining():
    assert sms.segments("a" * 150).remaining == 10
    assert sms.segments("a" * 161).remaining == 306 - 161
    assert sms.segments("").remaining == 0


# --- A local HTTP gateway -------------------------------------------------------------------------

class FakeProvider:
    """Answers scripted (status, body, delay) in turn (the last one repeats); records requests."""

    def __init__(self):
        self.script = [(200, {"messages": [{"id": "m-1"}]}, 0)]
        self.requests = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                provider.requests.append({"method": self.command, "path": self.path, "body": body,
                                          "headers": dict(self.headers)})
                status, answer, delay = provider.script.pop(0) if len(provider.script) > 1 else provider.script[0]
                if delay:
                    time.sleep(delay)
                raw = (answer if isinstance(answer, str) else json.dumps(answer)).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except OSError:
                    pass  # the client gave up (timeout test)

            do_GET = do_POST = do_PUT = handle_any  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider():
    fake = FakeProvider()
    yield fake
    fake.close()


def http_settings(provider, **extra):
    values = {"KLIENTURA_SMS_BACKEND": "http", "KLIENTURA_SMS_HTTP_URL": provider.url,
              "KLIENTURA_SMS_HTTP_METHOD": "POST", "KLIENTURA_SMS_HTTP_FORMAT": "form",
              "KLIENTURA_SMS_HTTP_FIELDS": {"to": "phone", "text": "message"}, "KLIENTURA_SMS_HTTP_EXTRA_FIELDS": {},
              "KLIENTURA_SMS_HTTP_AUTH": "bearer", "KLIENTURA_SMS_HTTP_TOKEN": "secret-token",
              "KLIENTURA_SMS_HTTP_USER": "", "KLIENTURA_SMS_HTTP_PASSWORD": "", "KLIENTURA_SMS_HTTP_TIMEOUT": 5,
              "KLIENTURA_SMS_HTTP_ID_PATH": "messages.0.id", "KLIENTURA_SMS_HTTP_REFERENCE_HEADER": "Idempotency-Key",
              "KLIENTURA_SMS_SENDER": "Lider"}
    values.update(extra)
    return override_settings(**values)


def test_http_gateway_sends_a_form_with_the_configured_names_auth_and_reference(provider):
    with http_settings(provider):
        gateway = sms.get_gateway()
        assert isinstance(gateway, sms.HttpGateway)
        assert gateway.send("+79161234567", "Привет & до встречи", reference="ref-1") == "m-1"
    [request] = provider.requests
    assert request["method"] == "POST" and request["path"] == "/send"
    assert urllib.parse.parse_qs(request["body"]) == {
        "phone": ["+79161234567"], "message": ["Привет & до встречи"], "sender": ["Lider"], "reference": ["ref-1"]}
    assert request["headers"]["Authorization"] == "Bearer secret-token"
    assert request["headers"]["Idempotency-Key"] == "ref-1"


def test_http_gateway_json_basic_auth_extra_fields_and_no_id(provider):
    provider.script = [(201, "accepted", 0)]
    with http_settings(provider, KLIENTURA_SMS_HTTP_FORMAT="json", KLIENTURA_SMS_HTTP_AUTH="basic",
                       KLIENTURA_SMS_HTTP_USER="api", KLIENTURA_SMS_HTTP_PASSWORD="p:w",
                       KLIENTURA_SMS_HTTP_FIELDS={"reference": "", "sender": "from"},
                       KLIENTURA_SMS_HTTP_EXTRA_FIELDS={"channel": "sms"}, KLIENTURA_SMS_HTTP_ID_PATH=""):
        assert sms.get_gateway().send("+40722123456", "Salut", reference="r2") == ""
    [request] = provider.requests
    assert json.loads(request["body"]) == {"channel": "sms", "to": "+40722123456", "text": "Salut", "from": "Lider"}
    assert request["headers"]["Content-Type"] == "application/json"
    assert base64.b64decode(request["headers"]["Authorization"].removeprefix("Basic ")) == b"api:p:w"


def test_http_gateway_get_puts_the_fields_in_the_query(provider):
    provider.script = [(200, {"status": "OK", "sms": {"79161234567": {"sms_id": "000-1"}}}, 0)]
    url = provider.url + "?api_id=xyz"
    with http_settings(provider, KLIENTURA_SMS_HTTP_URL=url, KLIENTURA_SMS_HTTP_METHOD="GET",
                       KLIENTURA_SMS_HTTP_AUTH="", KLIENTURA_SMS_HTTP_ID_PATH="sms.79161234567.sms_id"):
        assert sms.get_gateway().send("+79161234567", "Hi", reference="r3") == "000-1"
    [request] = provider.requests
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request["path"]).query)
    assert query["api_id"] == ["xyz"] and query["phone"] == ["+79161234567"] and query["message"] == ["Hi"]
    assert "Authorization" not in request["headers"]


@pytest.mark.parametrize(("status", "error"), [
    (500, sms.TemporarySmsError), (503, sms.TemporarySmsError), (429, sms.TemporarySmsError),
    (400, sms.PermanentSmsError), (401, sms.PermanentSmsError), (404, sms.PermanentSmsError)])
def test_http_gateway_sorts_errors_into_temporary_and_permanent(provider, status, error):
    provider.script = [(status, {"error": "number blocked"}, 0)]
    with http_settings(provider), pytest.raises(error) as caught:
        sms.get_gateway().send("+79161234567", "Hi", reference="r")
    assert f"HTTP {status}" in str(caught.value) and "number blocked" in str(caught.value)


def test_http_gateway_timeout_and_refused_connection_are_temporary(provider):
    provider.script = [(200, {}, 1.5)]
    with http_settings(provider, KLIENTURA_SMS_HTTP_TIMEOUT=0.3), pytest.raises(sms.TemporarySmsError):
        sms.get_gateway().send("+79161234567", "Hi", reference="r")
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with http_settings(provider, KLIENTURA_SMS_HTTP_URL=f"http://127.0.0.1:{port}/"), \
            pytest.raises(sms.TemporarySmsError, match="ConnectionRefusedError"):
        sms.get_gateway().send("+79161234567", "Hi", reference="r")


def test_an_invalid_number_is_a_permanent_error():
    with pytest.raises(sms.PermanentSmsError):
        sms.get_gateway().send("89161234567", "Hi", reference="r")
    assert sms.outbox == []


def test_gateway_comes_from_the_settings():
    with override_settings(KLIENTURA_SMS_BACKEND="console"):
        assert isinstance(sms.get_gateway(), sms.ConsoleGateway)
    with override_settings(KLIENTURA_SMS_BACKEND="http", KLIENTURA_SMS_HTTP_URL=""), \
            pytest.raises(ImproperlyConfigured):
        sms.get_gateway()
    with override_settings(KLIENTURA_SMS_BACKEND="marketing.sms.ConsoleGateway"):
        assert isinstance(sms.get_gateway(), sms.ConsoleGateway)
    with override_settings(KLIENTURA_SMS_BACKEND="no.such.Gateway"), pytest.raises(ImproperlyConfigured):
        sms.get_gateway()


def test_settings_read_the_environment_strictly(monkeypatch):
    from klientura import settings as klientura_settings

    monkeypatch.setenv("KLIENTURA_SMS_HTTP_FIELDS", "to=phone, text=msg,reference=")
    assert klientura_settings._sms_pairs("KLIENTURA_SMS_HTTP_FIELDS", ("to", "text", "sender", "reference")) == {
        "to": "phone", "text": "msg", "reference": ""}
    monkeypatch.setenv("KLIENTURA_SMS_HTTP_FIELDS", "phone=to")
    with pytest.raises(ImproperlyConfigured, match="KLIENTURA_SMS_HTTP_FIELDS"):
        klientura_settings._sms_pairs("KLIENTURA_SMS_HTTP_FIELDS", ("to", "text", "sender", "reference"))
    monkeypatch.setenv("KLIENTURA_SMS_HTTP_FORMAT", "xml")
    with pytest.raises(ImproperlyConfigured, match="KLIENTURA_SMS_HTTP_FORMAT"):
        klientura_settings._sms_choice("KLIENTURA_SMS_HTTP_FORMAT", "form", {"form", "json"})


# --- The queue ------------------------------------------------------------------------------------

@pytest.fixture
def client_with_phones(manager):
    cp = CounterpartyFactory(name="Ромашка", main_manager=manager)
    person = ContactPerson.objects.create(counterparty=cp, last_name="Иванова", first_name="Анна")
    mobile = ContactInfo.objects.create(counterparty=cp, contact_person=person, kind=ContactKind.MOBILE,
                                        value="+79161234567")
    office = ContactInfo.objects.create(counterparty=cp, kind=ContactKind.PHONE, value="+74951234567")
    return cp, person, mobile, office


def queued(cp, to="+79161234567", text="Hi", **kwargs):
    return services_sms.queue_sms(to, text, counterparty=cp, now=NOW, **kwargs)


def test_queue_normalises_the_number_and_queues_a_source_once(client_with_phones):
    cp = client_with_phones[0]
    first = queued(cp, to="8 (916) 123-45-67", source="mailing:1:2")
    assert first.to == "+79161234567" and first.state == OutgoingSms.State.QUEUED and first.segments == 1
    assert queued(cp, source="mailing:1:2") is None
    assert OutgoingSms.objects.count() == 1
    with pytest.raises(Exception) as caught:
        queued(cp, to="12")
    assert "to" in caught.value.message_dict


def test_only_one_of_two_claims_wins(client_with_phones):
    row = queued(client_with_phones[0])
    assert services_sms.claim(row.pk, NOW) is True
    assert services_sms.claim(row.pk, NOW) is False
    row.refresh_from_db()
    assert row.state == OutgoingSms.State.SENDING and row.next_attempt_at == NOW + services_sms.LEASE
    # A second worker's pass finds nothing to send; the first one's lease is respected.
    assert services_sms.send_queued_sms(now=NOW + dt.timedelta(minutes=1)) == 0
    assert sms.outbox == []


def test_a_message_whose_worker_died_is_sent_after_the_lease(client_with_phones):
    row = queued(client_with_phones[0])
    assert services_sms.claim(row.pk, NOW)
    later = NOW + services_sms.LEASE + dt.timedelta(seconds=1)
    assert services_sms.send_queued_sms(now=later) == 1
    row.refresh_from_db()
    assert row.state == OutgoingSms.State.SENT and row.attempts == 2 and len(sms.outbox) == 1
    assert sms.outbox[0].reference == services_sms.reference(row)


def test_gateway_errors_are_retried_with_backoff_and_reported(provider, client_with_phones):
    """500 → back in the queue with backoff → sent on the next try; 400 → failed with the error."""
    cp = client_with_phones[0]
    provider.script = [(500, {"error": "busy"}, 0), (200, {"messages": [{"id": "m-42"}]}, 0)]
    row = queued(cp)
    with http_settings(provider):
        assert services_sms.send_queued_sms(now=NOW) == 0
        row.refresh_from_db()
        assert (row.state, row.attempts, row.next_attempt_at) == ("queued", 1, NOW + dt.timedelta(minutes=1))
        assert "HTTP 500" in row.last_error and "busy" in row.last_error
        assert services_sms.send_queued_sms(now=NOW + dt.timedelta(seconds=30)) == 0  # not due yet
        assert services_sms.send_queued_sms(now=NOW + dt.timedelta(minutes=1)) == 1
        row.refresh_from_db()
        assert (row.state, row.attempts, row.provider_id, row.last_error) == ("sent", 2, "m-42", "")
        # Both tries carried the same idempotency key.
        assert {r["headers"]["Idempotency-Key"] for r in provider.requests} == {services_sms.reference(row)}

        provider.script = [(400, {"error": "invalid sender"}, 0)]
        bad = queued(cp, text="Second")
        assert services_sms.send_queued_sms(now=NOW) == 0
        bad.refresh_from_db()
        assert bad.state == "failed" and bad.attempts == 1 and "invalid sender" in bad.last_error
        assert services_sms.send_queued_sms(now=NOW + dt.timedelta(hours=2)) == 0  # never tried again


def test_a_timeout_is_retried(provider, client_with_phones):
    provider.script = [(200, {}, 1.5), (200, {"messages": [{"id": "late"}]}, 0)]
    row = queued(client_with_phones[0])
    with http_settings(provider, KLIENTURA_SMS_HTTP_TIMEOUT=0.3):
        assert services_sms.send_queued_sms(now=NOW) == 0
        row.refresh_from_db()
        assert row.state == "queued" and row.attempts == 1 and row.last_error
        assert services_sms.send_queued_sms(now=NOW + dt.timedelta(minutes=1)) == 1
    row.refresh_from_db()
    assert row.state == "sent" and row.provider_id == "late"


def test_failed_after_max_attempts(provider, client_with_phones):
    provider.script = [(503, "down", 0)]
    row = queued(client_with_phones[0])
    now = NOW
    with http_settings(provider):
        for _attempt in range(services_sms.MAX_ATTEMPTS):
            services_sms.send_queued_sms(now=now)
            now += services_sms.MAX_BACKOFF
        row.refresh_from_db()
        assert row.state == "failed" and row.attempts == services_sms.MAX_ATTEMPTS and "HTTP 503" in row.last_error
        assert len(provider.requests) == services_sms.MAX_ATTEMPTS
        assert services_sms.retry(row, now=now) and services_sms.send_queued_sms(now=now) == 0  # still down
    assert OutgoingSms.objects.get(pk=row.pk).attempts == 1


def test_the_queue_task_is_registered_and_due_only_with_work(client_with_phones):
    entry = registry.periodic_tasks[SMS_QUEUE]
    assert entry.task.name == "send_sms_queue"
    assert services_sms.has_due() is False
    queued(client_with_phones[0])
    assert services_sms.has_due() is True


# --- The client card ------------------------------------------------------------------------------

def card_url(cp):
    return reverse("marketing:card_sms", args=[cp.pk])


def test_a_manager_sends_an_sms_to_a_contact_person_from_the_card(manager, client_for, client_with_phones,
                                                                  django_capture_on_commit_callbacks):
    cp, person, mobile, office = client_with_phones
    c = client_for(manager)
    tab = c.get(card_url(cp)).content.decode()
    assert 'data-testid="sms-form"' in tab and "Иванова Анна: +7 916 123-45-67" in tab
    assert f'hx-post="{reverse("marketing:sms_counter")}"' in tab
    key = tab.split('name="key" value="', 1)[1].split('"', 1)[0]
    with django_capture_on_commit_callbacks(execute=True):
        resp = c.post(card_url(cp), {"phone": str(mobile.pk), "number": "", "text": "Добрый день!", "key": key})
    assert resp.status_code == 302 and resp.url.endswith("?tab=sms")
    row = OutgoingSms.objects.get()
    assert (row.to, row.contact_person, row.created_by, row.state) == ("+79161234567", person, manager, "queued")
    # In the client's history: a done outgoing "sms" interaction, created with the row.
    interaction = row.interaction
    assert (interaction.type.code, interaction.direction, interaction.state) == ("sms", "out", "done")
    assert interaction.counterparty == cp and list(interaction.contact_persons.all()) == [person]
    assert DBTaskResult.objects.filter(task_path="marketing.tasks.send_sms").exists()
    # The same form sent again (double click) queues nothing more.
    assert c.post(card_url(cp), {"phone": str(mobile.pk), "text": "Добрый день!", "key": key}).status_code == 302
    assert OutgoingSms.objects.count() == 1 and Interaction.objects.filter(type__code="sms").count() == 1
    # The worker sends it through the console gateway; the tab shows the state.
    assert services_sms.send_sms_now(row.pk) is True
    assert [(m.to, m.text) for m in sms.outbox] == [("+79161234567", "Добрый день!")]
    tab = c.get(card_url(cp)).content.decode()
    assert f'data-testid="sms-{row.pk}"' in tab and "Sent" in tab


def test_card_form_errors_name_the_field(manager, client_for, client_with_phones):
    cp = client_with_phones[0]
    c = client_for(manager)
    resp = c.post(card_url(cp), {"phone": "", "number": "12ab", "text": "Hi", "key": KEY})
    assert resp.status_code == 400 and "number" in resp.context["form"].errors
    assert "is not a valid phone number" in resp.context["form"].errors["number"][0]
    assert 'data-testid="error-number"' in resp.content.decode()
    resp = c.post(card_url(cp), {"phone": "", "number": "", "text": "Hi", "key": KEY})
    assert resp.status_code == 400 and "phone" in resp.context["form"].errors
    resp = c.post(card_url(cp), {"phone": "", "number": "+7 916 000-00-01", "text": "  ", "key": KEY})
    assert resp.status_code == 400 and "text" in resp.context["form"].errors
    assert not OutgoingSms.objects.exists() and not Interaction.objects.exists()
    # A typed number is normalised to E.164.
    assert c.post(card_url(cp), {"number": "8 916 000-00-01", "text": "Hi", "key": KEY}).status_code == 302
    assert OutgoingSms.objects.get().to == "+79160000001"


def test_a_manager_cannot_sms_someone_elses_client(manager, teammate, quality, head, client_for, client_with_phones):
    cp, _person, mobile, _office = client_with_phones
    data = {"phone": str(mobile.pk), "text": "Hi", "key": KEY}
    assert client_for(teammate).get(card_url(cp)).status_code == 404
    assert client_for(teammate).post(card_url(cp), data).status_code == 404
    assert client_for(quality).post(card_url(cp), data).status_code == 404  # sees the client, may not change it
    assert 'data-testid="sms-form"' not in client_for(quality).get(card_url(cp)).content.decode()
    assert not OutgoingSms.objects.exists()
    assert client_for(head).post(card_url(cp), data).status_code == 302
    # The teammate's list of SMS does not show the client's.
    assert client_for(teammate).get("/api/sms/").json()["results"] == []


def test_the_form_reshown_after_an_error_names_no_foreign_phone(manager, teammate, client_for, client_with_phones):
    cp = client_with_phones[0]
    theirs = CounterpartyFactory(name="Чужой клиент Quimbeta", main_manager=teammate)
    stranger = ContactPerson.objects.create(counterparty=theirs, last_name="Quimbeta", first_name="Secret")
    foreign = ContactInfo.objects.create(counterparty=theirs, contact_person=stranger, kind=ContactKind.MOBILE,
                                         value="+79169998877")
    resp = client_for(manager).post(card_url(cp), {"phone": str(foreign.pk), "text": "Hi", "key": KEY})
    body = resp.content.decode()
    assert resp.status_code == 400 and "phone" in resp.context["form"].errors
    assert "Quimbeta" not in body and "999" not in body.replace(str(foreign.pk), "")
    assert not OutgoingSms.objects.exists()


def test_the_segment_counter(manager, client_for):
    c = client_for(manager)
    html = c.post(reverse("marketing:sms_counter"), {"text": "Привет"}).content.decode()
    assert 'data-encoding="UCS-2"' in html and 'data-segments="1"' in html and "6" in html
    html = c.get(reverse("marketing:sms_counter"), {"text": "a" * 161}).content.decode()
    assert 'data-encoding="GSM-7"' in html and 'data-segments="2"' in html and "153" in html


def test_the_card_has_the_sms_tab(manager, client_for, client_with_phones):
    cp = client_with_phones[0]
    html = client_for(manager).get(cp.get_absolute_url() + "?tab=sms").content.decode()
    assert 'data-testid="sms-tab"' in html and f'hx-get="{card_url(cp)}" hx-trigger="load"' in html


# --- API ------------------------------------------------------------------------------------------

def test_api_queues_lists_and_scopes(manager, teammate, api, client_with_phones):
    cp, person, _mobile, _office = client_with_phones
    url = "/api/sms/"
    resp = api(manager).post(url, {"counterparty": cp.pk, "contact_person": person.pk, "to": "8 916 123-45-67",
                                   "text": "Привет", "source": "order-42-ready"}, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["to"] == "+79161234567" and body["state"] == "queued" and body["encoding"] == "UCS-2"
    assert Interaction.objects.get(pk=body["interaction"]).type.code == "sms"
    again = api(manager).post(url, {"counterparty": cp.pk, "to": "+79161234567", "text": "Привет",
                                    "source": "order-42-ready"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"] and OutgoingSms.objects.count() == 1

    bad = api(manager).post(url, {"counterparty": cp.pk, "to": "12", "text": "Hi"}, format="json")
    assert bad.status_code == 400 and "to" in bad.json()
    empty = api(manager).post(url, {"counterparty": cp.pk, "to": "+79161234567", "text": ""}, format="json")
    assert empty.status_code == 400 and "text" in empty.json()
    foreign = api(teammate).post(url, {"counterparty": cp.pk, "to": "+79161234567", "text": "Hi"}, format="json")
    assert foreign.status_code == 400 and "counterparty" in foreign.json()
    other = CounterpartyFactory(main_manager=manager)
    wrong = api(manager).post(url, {"counterparty": other.pk, "contact_person": person.pk, "to": "+79161234567",
                                    "text": "Hi"}, format="json")
    assert wrong.status_code == 400 and "contact_person" in wrong.json()

    assert [row["id"] for row in api(manager).get(url).json()["results"]] == [body["id"]]
    assert api(teammate).get(url).json()["results"] == []
    assert api(teammate).get(f"{url}{body['id']}/").status_code == 404
    assert api(manager).get(f"{url}{body['id']}/history/").status_code == 200
    assert api(manager).patch(f"{url}{body['id']}/", {"text": "x"}, format="json").status_code == 405
    assert api(manager).delete(f"{url}{body['id']}/").status_code == 405


def test_demo_sms_are_sent_through_the_console(manager, teammate, client_with_phones):
    from marketing import demo_sms

    assert demo_sms.load(now=timezone.now()) == 1  # manager1's client has a mobile; manager2's none
    row = OutgoingSms.objects.get()
    assert row.state == "sent" and row.interaction.counterparty == client_with_phones[0]
    assert demo_sms.load() == 0


def test_a_failed_sms_is_sent_again_from_the_card(manager, teammate, client_for, client_with_phones):
    from django.urls import reverse

    cp = client_with_phones[0]
    sms = queued(cp)
    OutgoingSms.objects.filter(pk=sms.pk).update(state=OutgoingSms.State.FAILED, attempts=8, last_error="400 bad")
    page = client_for(manager).get(card_url(cp)).content.decode()
    assert 'data-testid="sms-retry"' in page
    url = reverse("marketing:sms_retry", args=[sms.pk])
    assert client_for(teammate).post(url).status_code == 404
    assert client_for(manager).post(url).status_code == 302
    sms.refresh_from_db()
    assert (sms.state, sms.attempts, sms.last_error) == (OutgoingSms.State.QUEUED, 0, "")
