"""Webhooks: events become deliveries in the change's transaction, the worker POSTs them signed to a
real HTTP server on loopback, retries with backoff, logs each try, and refuses internal targets."""

import datetime as dt
import json
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction

from clients.tests.factories import CounterpartyFactory
from integrations.models import Event, WebhookAttempt, WebhookDelivery
from integrations.webhooks import events, network, sender
from marketing.tests.factories import InquiryFactory
from sales.models import LostReason, Stage
from sales.services.stages import move_deal, stage_entered
from sales.tests.factories import DealFactory, OrderFactory, OrderLineFactory, PaymentFactory, default_stages
from service.tests.complaint_factories import ComplaintFactory

from .webhook_helpers import Receiver, free_port, subscription, verify

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
S = WebhookDelivery.State


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def deliveries(event=None):
    qs = WebhookDelivery.objects.order_by("pk")
    return list(qs.filter(event=event) if event else qs)


# --- Sending, signature -------------------------------------------------------------------------

def test_a_delivery_is_posted_signed_and_the_signature_verifies_against_the_raw_body(receiver, admin_user):
    sub = subscription(receiver.url, events=[Event.CLIENT_CREATED])
    client = CounterpartyFactory(name="ООО Ромашка", main_manager=admin_user)
    [delivery] = deliveries()

    assert sender.send_due() == 1

    [request] = receiver.requests
    headers, raw = request["headers"], request["body"]
    assert request["path"] == "/hooks/klientura?x=1"
    assert headers["X-Klientura-Event"] == "client.created"
    assert headers["X-Klientura-Delivery"] == str(delivery.key)
    assert headers["Content-Type"] == "application/json"
    assert headers["Host"] == f"127.0.0.1:{receiver.port}"
    assert verify(sub.secret, headers, raw)
    assert not verify("another secret", headers, raw)
    assert not verify(sub.secret, headers, raw + b" ")  # a changed body does not verify
    payload = json.loads(raw)
    assert payload["v"] == 1 and payload["event"] == "client.created"
    assert payload["id"] == str(delivery.event_id)
    assert dt.datetime.fromisoformat(payload["occurred_at"])
    assert payload["data"]["id"] == client.pk and payload["data"]["name"] == "ООО Ромашка"
    assert payload["data"]["api_url"].endswith(f"/api/counterparties/{client.pk}/")
    assert payload["data"]["main_manager"]["username"] == admin_user.username
    delivery.refresh_from_db()
    assert delivery.state == S.DELIVERED and delivery.attempts == 1 and delivery.last_status == 200
    [attempt] = WebhookAttempt.objects.filter(delivery=delivery)
    assert attempt.status_code == 200 and attempt.address == "127.0.0.1"
    assert attempt.response_body.startswith("answer 200") and len(attempt.response_body) == network.MAX_RESPONSE


def test_a_failing_receiver_is_retried_with_backoff_and_each_try_is_logged(receiver, frozen):
    receiver.script = [500, 503, 200]
    subscription(receiver.url, events=[Event.CLIENT_CREATED])
    CounterpartyFactory()
    [delivery] = deliveries()

    assert sender.send_due() == 0
    delivery.refresh_from_db()
    assert delivery.state == S.PENDING and delivery.attempts == 1 and delivery.last_status == 500
    assert delivery.next_attempt_at == T0 + dt.timedelta(minutes=1)

    frozen.shift(dt.timedelta(seconds=59))
    assert sender.send_due() == 0 and len(receiver.requests) == 1  # not due yet
    frozen.shift(dt.timedelta(seconds=1))
    assert sender.send_due() == 0
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.next_attempt_at == T0 + dt.timedelta(minutes=1 + 5)

    frozen.move_to(T0 + dt.timedelta(minutes=6))
    assert sender.send_due() == 1
    delivery.refresh_from_db()
    assert delivery.state == S.DELIVERED and delivery.attempts == 3
    log = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [(a.number, a.status_code) for a in log] == [(1, 500), (2, 503), (3, 200)]
    assert [a.started_at for a in log] == [T0, T0 + dt.timedelta(minutes=1), T0 + dt.timedelta(minutes=6)]
    # Every try carries the same delivery id, so the receiver can tell a retry from a new event.
    assert len({r["headers"]["X-Klientura-Delivery"] for r in receiver.requests}) == 1


def test_connection_refused_is_retried_then_the_receiver_gets_it(receiver, frozen):
    port = free_port()
    sub = subscription(f"http://127.0.0.1:{port}/hook", events=[Event.CLIENT_CREATED])
    CounterpartyFactory()
    [delivery] = deliveries()

    sender.send_due()
    delivery.refresh_from_db()
    assert delivery.state == S.PENDING and delivery.last_status is None
    [attempt] = WebhookAttempt.objects.filter(delivery=delivery)
    assert attempt.status_code is None and "ConnectionRefused" in attempt.error

    sub.url = receiver.url  # the receiver is up now
    sub.save()
    frozen.shift(dt.timedelta(minutes=1))
    assert sender.send_due() == 1
    assert [a.status_code for a in WebhookAttempt.objects.filter(delivery=delivery).order_by("number")] == [None, 200]


def test_after_the_last_retry_the_delivery_fails_and_resend_sends_it_again(receiver, frozen):
    receiver.script = [500]
    subscription(receiver.url, events=[Event.CLIENT_CREATED])
    CounterpartyFactory()
    [delivery] = deliveries()
    waits = [dt.timedelta(0), *sender.BACKOFF]
    for wait in waits:
        frozen.shift(wait)
        sender.send_due()
    delivery.refresh_from_db()
    assert delivery.state == S.FAILED and delivery.attempts == sender.MAX_ATTEMPTS == 6
    frozen.shift(dt.timedelta(days=1))
    assert sender.send_due() == 0 and len(receiver.requests) == 6  # failed: no more tries

    receiver.script = [200]
    assert sender.resend(delivery)
    assert not sender.resend(delivery)  # queued already
    assert sender.send_due() == 1
    delivery.refresh_from_db()
    assert delivery.state == S.DELIVERED
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 7


def test_a_redirect_is_not_followed(receiver):
    receiver.script = [302]
    subscription(receiver.url, events=[Event.CLIENT_CREATED])
    CounterpartyFactory()
    sender.send_due()
    assert len(receiver.requests) == 1  # the Location (another port) was never asked
    [delivery] = deliveries()
    assert delivery.state == S.PENDING and delivery.last_status == 302


def test_two_senders_racing_for_one_delivery_post_it_once(receiver, monkeypatch):
    """The second sender has read the same due row; while the first is mid-POST it tries to claim
    it and gets nothing (the conditional UPDATE changed no row), so the receiver sees one POST."""
    subscription(receiver.url, events=[Event.CLIENT_CREATED])
    CounterpartyFactory()
    [delivery] = deliveries()
    real_post, raced = network.post, []

    def post_while_another_sender_races(*args, **kwargs):
        raced.append(sender.deliver(delivery.pk))  # the other worker, in the middle of this send
        return real_post(*args, **kwargs)

    monkeypatch.setattr(network, "post", post_while_another_sender_races)
    assert sender.deliver(delivery.pk) is True
    assert raced == [False]
    assert sender.deliver(delivery.pk) is False  # and afterwards: delivered, nothing to claim
    assert len(receiver.requests) == 1
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 1


def test_a_sender_that_died_mid_send_leaves_the_delivery_to_the_next_one(receiver, frozen):
    subscription(receiver.url, events=[Event.CLIENT_CREATED])
    CounterpartyFactory()
    [delivery] = deliveries()
    assert sender.claim(delivery.pk, T0)  # a worker claimed it and was killed
    assert sender.send_due() == 0  # its lease still runs
    frozen.shift(sender.LEASE)
    sender.send_due()  # the lease is over: back in the queue (one try counted), due after nothing
    frozen.shift(dt.timedelta(seconds=1))
    sender.send_due()
    delivery.refresh_from_db()
    assert delivery.state == S.DELIVERED and len(receiver.requests) == 1


def test_an_inactive_or_deleted_webhook_sends_nothing_queued_for_it(receiver):
    sub = subscription(receiver.url, events=[Event.CLIENT_CREATED])
    CounterpartyFactory()
    sub.is_active = False
    sub.save()
    sender.send_due()
    [delivery] = deliveries()
    assert delivery.state == S.FAILED and receiver.requests == []


# --- Events -------------------------------------------------------------------------------------

@pytest.fixture
def subs(receiver):
    """Two active subscriptions wanting every event, one inactive, one wanting something else."""
    every = list(Event.values)
    return [subscription(receiver.url, events=every, name="A"), subscription(receiver.url, events=every, name="B"),
            subscription(receiver.url, events=every, name="off", is_active=False),
            subscription(receiver.url, events=[Event.INQUIRY_CREATED], name="inquiries only")]


def assert_one_each(event, obj_id, subs):
    rows = deliveries(event)
    assert sorted(d.subscription.name for d in rows) == (["A", "B", "inquiries only"] if event == Event.INQUIRY_CREATED
                                                         else ["A", "B"]), event
    assert {d.object_id for d in rows} == {obj_id}
    assert len({d.event_id for d in rows}) == 1  # one event, a delivery per subscription
    return json.loads(rows[0].body)


def test_client_created_and_changed(subs, manager):
    client = CounterpartyFactory(main_manager=manager)
    assert_one_each(Event.CLIENT_CREATED, client.pk, subs)
    assert deliveries(Event.CLIENT_CHANGED) == []

    client.save()  # nothing changed: no event
    assert deliveries(Event.CLIENT_CHANGED) == []
    client.city = "Тверь"
    client.tax_id = "7707083893"
    client.save()
    payload = assert_one_each(Event.CLIENT_CHANGED, client.pk, subs)
    assert payload["data"]["city"] == "Тверь" and sorted(payload["data"]["changed_fields"]) == ["city", "tax_id"]

    client.delete()  # to the trash: a change too
    rows = deliveries(Event.CLIENT_CHANGED)
    assert len(rows) == 4 and json.loads(rows[-1].body)["data"]["deleted"] is True


def test_deal_moves_won_and_lost(subs, manager):
    stages = default_stages()
    won = next(s for s in stages if s.kind == Stage.Kind.WON)
    lost = next(s for s in stages if s.kind == Stage.Kind.LOST)
    deal = DealFactory(responsible=manager, counterparty=CounterpartyFactory(main_manager=manager))
    stage_entered(deal, None, manager)  # created: no stage change, nothing won or lost
    assert [d for d in deliveries() if d.event.startswith("deal.")] == []

    move_deal(deal, stages[1], manager, deal.version)
    payload = assert_one_each(Event.DEAL_STAGE_CHANGED, deal.pk, subs)
    assert payload["data"]["from_stage"]["id"] == stages[0].pk and payload["data"]["to_stage"]["id"] == stages[1].pk
    assert payload["data"]["moved_by"]["username"] == manager.username
    assert deliveries(Event.DEAL_WON) == []

    deal.refresh_from_db()
    move_deal(deal, won, manager, deal.version)
    payload = assert_one_each(Event.DEAL_WON, deal.pk, subs)
    assert payload["data"]["stage"]["kind"] == "won" and payload["data"]["api_url"].endswith(f"/api/deals/{deal.pk}/")
    assert len(deliveries(Event.DEAL_STAGE_CHANGED)) == 4

    other = DealFactory(responsible=manager, counterparty=deal.counterparty)
    move_deal(other, lost, manager, other.version, lost_reason=LostReason.objects.first())
    assert_one_each(Event.DEAL_LOST, other.pk, subs)


def test_order_paid_once_when_actual_receipts_reach_the_total(subs, manager):
    order = OrderFactory(responsible=manager, counterparty=CounterpartyFactory(main_manager=manager))
    OrderLineFactory(order=order, quantity=2, price=500)  # 1000
    PaymentFactory(order=order, kind="planned", amount=1000)  # an invoice is no payment
    first = PaymentFactory(order=order, amount=400)
    assert deliveries(Event.ORDER_PAID) == []

    PaymentFactory(order=order, amount=600)
    payload = assert_one_each(Event.ORDER_PAID, order.pk, subs)
    assert payload["data"]["paid"] == "1000.00" and payload["data"]["amount"] == "1000.00"

    PaymentFactory(order=order, amount=50)  # paid already: no second event
    first.amount = Decimal("450")
    first.save()
    assert len(deliveries(Event.ORDER_PAID)) == 2

    first.delete()  # 650 of 1000 left: not paid any more …
    first.restore()  # … and paid again
    assert len(deliveries(Event.ORDER_PAID)) == 4


def test_complaint_and_inquiry_created(subs, manager):
    complaint = ComplaintFactory(counterparty=CounterpartyFactory(main_manager=manager))
    payload = assert_one_each(Event.COMPLAINT_CREATED, complaint.pk, subs)
    complaint.refresh_from_db()
    assert payload["data"]["number"] == complaint.number
    complaint.subject = "changed"
    complaint.save()
    assert len(deliveries(Event.COMPLAINT_CREATED)) == 2

    inquiry = InquiryFactory(company="ООО Новые")
    payload = assert_one_each(Event.INQUIRY_CREATED, inquiry.pk, subs)
    assert payload["data"]["company"] == "ООО Новые"


def test_no_active_subscription_no_delivery(receiver):
    subscription(receiver.url, is_active=False)
    CounterpartyFactory()
    assert deliveries() == []


def test_deliveries_are_written_in_the_changes_transaction(subs):
    with pytest.raises(RuntimeError), transaction.atomic():
        CounterpartyFactory()
        assert len(deliveries()) == 2
        raise RuntimeError("rolled back")
    assert deliveries() == []


def test_a_broken_payload_never_stops_the_save(subs, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("bug")

    monkeypatch.setattr(events, "client_data", broken)
    client = CounterpartyFactory()
    assert client.pk and deliveries() == []


# --- SSRF -----------------------------------------------------------------------------------------

INTERNAL = ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "172.16.5.4", "192.168.1.1", "0.0.0.0",  # noqa: S104
            "::ffff:127.0.0.1", "::ffff:10.0.0.1", "fc00::1", "fd12::1", "fe80::1", "224.0.0.1", "ff02::1",
            "100.64.0.1", "240.0.0.1", "::", "2002:7f00:1::1"]


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_addresses_are_forbidden(address):
    assert network.is_forbidden(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_are_allowed(address):
    assert not network.is_forbidden(address)


@pytest.mark.parametrize("url", ["http://127.0.0.1/hook", "http://10.0.0.1/hook", "http://169.254.169.254/latest",
                                 "http://[::1]:8080/hook", "https://[::ffff:127.0.0.1]/hook"])
def test_internal_targets_are_refused_on_save_without_the_flag(url):
    sub = subscription("https://hooks.example.com/in", allow_private=False)
    sub.url = url
    with pytest.raises(ValidationError) as error:
        sub.full_clean()
    assert "url" in error.value.message_dict
    sub.allow_private = True
    sub.full_clean()  # an administrator allowed it


@pytest.fixture
def resolver(monkeypatch):
    """A DNS stub: host → addresses; records every lookup."""
    answers, lookups = {}, []

    def resolve(host, port):
        lookups.append(host)
        return answers[host]

    monkeypatch.setattr(network, "resolve", resolve)
    return answers, lookups


def test_a_host_name_resolving_to_an_internal_address_is_refused_on_save(resolver):
    answers, _lookups = resolver
    answers["metadata.example.test"] = ["169.254.169.254"]
    sub = subscription("https://hooks.example.com/in", allow_private=False)
    sub.url = "https://metadata.example.test/hook"
    with pytest.raises(ValidationError) as error:
        sub.full_clean()
    assert "169.254.169.254" in error.value.message_dict["url"][0]


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1"])
def test_a_name_that_resolves_to_an_internal_address_at_send_time_is_refused(receiver, resolver, address):
    """DNS rebinding: public when saved, internal when sent — refused, nothing is connected to."""
    answers, _lookups = resolver
    answers["hooks.example.test"] = ["93.184.216.34"]
    sub = subscription(f"http://hooks.example.test:{receiver.port}/hook", allow_private=False,
                       events=[Event.CLIENT_CREATED])
    sub.full_clean()
    answers["hooks.example.test"] = [address]
    CounterpartyFactory()
    assert sender.send_due() == 0
    [delivery] = deliveries()
    assert delivery.state == S.FAILED  # refused: no retry can help
    [attempt] = WebhookAttempt.objects.filter(delivery=delivery)
    assert address in attempt.error and attempt.address == ""
    assert receiver.requests == []


def test_the_name_is_resolved_once_and_the_checked_address_is_connected_to(receiver, resolver):
    """With private targets allowed, a name resolving to loopback reaches the receiver there, with the
    original Host header: one lookup, made by us, none by the HTTP client."""
    answers, lookups = resolver
    answers["crm-receiver.test"] = ["127.0.0.1"]
    subscription(f"http://crm-receiver.test:{receiver.port}/hook", events=[Event.CLIENT_CREATED])
    CounterpartyFactory()
    lookups.clear()
    assert sender.send_due() == 1
    assert lookups == ["crm-receiver.test"]
    assert receiver.requests[0]["headers"]["Host"] == f"crm-receiver.test:{receiver.port}"


@pytest.fixture
def tls_receiver(monkeypatch):
    """An HTTPS receiver whose self-signed certificate (for hooks.example.test) the sender trusts."""
    import ssl

    from .webhook_helpers import TLS_PEM

    real = ssl.create_default_context
    monkeypatch.setattr(network.ssl, "create_default_context", lambda *args, **kwargs: real(cafile=str(TLS_PEM)))
    server = Receiver(tls=True)
    yield server
    server.close()


def test_https_goes_to_the_checked_address_with_the_names_tls_server_name(tls_receiver, resolver):
    answers, lookups = resolver
    answers["hooks.example.test"] = ["127.0.0.1"]
    subscription(f"https://hooks.example.test:{tls_receiver.port}/hook", events=[Event.CLIENT_CREATED])
    CounterpartyFactory()
    lookups.clear()
    assert sender.send_due() == 1
    assert lookups == ["hooks.example.test"]
    assert tls_receiver.server_names == ["hooks.example.test"]  # SNI: the name, not the address
    assert tls_receiver.requests[0]["headers"]["Host"] == f"hooks.example.test:{tls_receiver.port}"
    assert deliveries()[0].state == S.DELIVERED


def test_https_to_a_certificate_for_another_name_is_not_sent_and_retried(tls_receiver, resolver):
    answers, _lookups = resolver
    answers["other.example.test"] = ["127.0.0.1"]
    subscription(f"https://other.example.test:{tls_receiver.port}/hook", events=[Event.CLIENT_CREATED])
    CounterpartyFactory()
    assert sender.send_due() == 0
    [delivery] = deliveries()
    assert delivery.state == S.PENDING and tls_receiver.requests == []  # no body left the sender
    assert "certificate" in delivery.last_error.lower()


def test_internal_literal_targets_are_refused_at_send_time_too(receiver):
    """A row written around the form (or the flag withdrawn later): the send-time check decides."""
    sub = subscription(receiver.url, events=[Event.CLIENT_CREATED])
    sub.allow_private = False
    sub.save()  # save() does not validate; the worker checks again
    CounterpartyFactory()
    sender.send_due()
    [delivery] = deliveries()
    assert delivery.state == S.FAILED and receiver.requests == []
    assert "127.0.0.1" in delivery.last_error
