"""Webhook settings: pages and API for administrators only; the secret shown once; SSRF errors on
save name the ``url`` field; the delivery log and "send again"."""

import pytest
from django.urls import reverse

from clients.tests.factories import CounterpartyFactory
from core import navigation
from integrations.models import Event, WebhookAttempt, WebhookDelivery, WebhookSubscription
from integrations.webhooks import sender

from .webhook_helpers import Receiver, subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def hook(receiver):
    sub = subscription(receiver.url, events=[Event.CLIENT_CREATED], name="ERP")
    CounterpartyFactory(name="Zorgalpha")
    sender.send_due()
    return sub


def form_data(**extra):
    return {"name": "ERP", "url": "https://erp.example.com/hook", "events": ["client.created", "deal.won"],
            "is_active": "on", "description": "", **extra}


# --- Who may -------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", ["manager", "head", "marketer"])
def test_nobody_but_administrators_sees_or_edits_webhooks(persona, request, hook, client_for, api):
    user = request.getfixturevalue(persona)
    delivery = WebhookDelivery.objects.get()
    c = client_for(user)
    for name, args in [("webhook_list", []), ("webhook", [hook.pk]), ("webhook_edit", [hook.pk]),
                       ("webhook_add", []), ("webhook_history", [hook.pk]), ("webhook_delete", [hook.pk]),
                       ("webhook_delivery_list", []), ("webhook_delivery", [delivery.pk])]:
        resp = c.get(reverse(f"integrations:{name}", args=args))
        assert resp.status_code == 403, name
        assert hook.secret not in resp.content.decode()
    edit = reverse("integrations:webhook_edit", args=[hook.pk])
    assert c.post(edit, form_data(version=hook.version)).status_code == 403
    assert c.post(reverse("integrations:webhook_secret", args=[hook.pk])).status_code == 403
    assert c.post(reverse("integrations:webhook_delivery_resend", args=[delivery.pk])).status_code == 403
    a = api(user)
    assert a.get("/api/webhooks/").status_code == 403
    assert a.get(f"/api/webhooks/{hook.pk}/").status_code == 403
    assert a.post("/api/webhooks/", {"name": "x", "url": "https://x.example.com/", "events": ["deal.won"]},
                  format="json").status_code == 403
    assert a.patch(f"/api/webhooks/{hook.pk}/", {"version": hook.version, "url": "https://evil.example.com/"},
                   format="json").status_code == 403
    assert a.post(f"/api/webhooks/{hook.pk}/regenerate-secret/").status_code == 403
    assert a.get("/api/webhook-deliveries/").status_code == 403
    assert a.post(f"/api/webhook-deliveries/{delivery.pk}/resend/").status_code == 403
    hook.refresh_from_db()
    assert hook.url.startswith("http://127.0.0.1") and WebhookSubscription.objects.count() == 1
    assert not any(item.url_name.startswith("integrations:webhook") for menu in navigation.menus_for(user)
                   for entry in menu.entries if entry for item in [entry["item"]])


def test_an_administrator_has_the_settings_entries(admin_user):
    names = [entry["item"].url_name for menu in navigation.menus_for(admin_user) for entry in menu.entries if entry]
    assert "integrations:webhook_list" in names and "integrations:webhook_delivery_list" in names


# --- UI ------------------------------------------------------------------------------------------

def test_create_shows_the_secret_once(admin_user, client_for):
    c = client_for(admin_user)
    resp = c.post(reverse("integrations:webhook_add"), form_data())
    assert resp.status_code == 302
    sub = WebhookSubscription.objects.get()
    assert sub.events == ["client.created", "deal.won"] and len(sub.secret) == 64
    card = c.get(resp["Location"]).content.decode()
    assert sub.secret in card and 'data-testid="webhook-secret"' in card
    again = c.get(resp["Location"]).content.decode()
    assert sub.secret not in again and sub.secret[-4:] in again
    assert sub.secret not in c.get(reverse("integrations:webhook_history", args=[sub.pk])).content.decode()

    old = sub.secret
    resp = c.post(reverse("integrations:webhook_secret", args=[sub.pk]))
    sub.refresh_from_db()
    assert sub.secret != old and sub.secret in c.get(resp["Location"]).content.decode()


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/hook", "http://10.0.0.1/", "http://169.254.169.254/latest",
                                 "http://[::1]/hook", "ftp://erp.example.com/"])
def test_the_form_refuses_internal_targets_naming_the_url(url, admin_user, client_for, api):
    resp = client_for(admin_user).post(reverse("integrations:webhook_add"), form_data(url=url))
    assert resp.status_code == 400
    assert list(resp.context["form"].errors) == ["url"]
    body = api(admin_user).post("/api/webhooks/", {"name": "x", "url": url, "events": ["deal.won"]}, format="json")
    assert body.status_code == 400 and list(body.json()) == ["url"]
    assert not WebhookSubscription.objects.exists()


def test_an_administrator_may_allow_private_targets(admin_user, client_for):
    resp = client_for(admin_user).post(reverse("integrations:webhook_add"),
                                       form_data(url="http://10.0.0.5/hook", allow_private="on"))
    assert resp.status_code == 302 and WebhookSubscription.objects.get().allow_private


def test_events_are_required_and_known(admin_user, client_for, api):
    resp = client_for(admin_user).post(reverse("integrations:webhook_add"), form_data(events=[]))
    assert resp.status_code == 400 and "events" in resp.context["form"].errors
    body = api(admin_user).post("/api/webhooks/", {"name": "x", "url": "https://x.example.com/",
                                                    "events": ["client.deleted"]}, format="json")
    assert body.status_code == 400 and "events" in body.json()


def test_an_unchanged_save_changes_nothing(admin_user, client_for, hook):
    c = client_for(admin_user)
    data = {"name": hook.name, "url": hook.url, "events": hook.events, "is_active": "on", "allow_private": "on",
            "description": "", "version": hook.version}
    assert c.post(reverse("integrations:webhook_edit", args=[hook.pk]), data).status_code == 302
    before = hook.version
    hook.refresh_from_db()
    assert hook.version == before


def test_the_delivery_log_per_webhook_and_send_again(admin_user, client_for, hook, receiver):
    other = subscription(receiver.url, events=[Event.CLIENT_CREATED], name="Other", is_active=False)
    delivery = WebhookDelivery.objects.get(subscription=hook)
    WebhookDelivery.objects.create(subscription=other, event=Event.CLIENT_CREATED, event_id=delivery.event_id,
                                   body="{}", object_id=424242)
    c = client_for(admin_user)
    page = c.get(reverse("integrations:webhook_delivery_list"), {"subscription": hook.pk, "state": "delivered"})
    assert page.status_code == 200
    text = page.content.decode()
    assert delivery.get_absolute_url() in text and "424242" not in text
    card = c.get(delivery.get_absolute_url()).content.decode()
    assert "Zorgalpha" in card and "answer 200" in card

    resp = c.post(reverse("integrations:webhook_delivery_resend", args=[delivery.pk]))
    assert resp.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.PENDING
    sender.send_due()
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 2 and len(receiver.requests) == 2


# --- API -----------------------------------------------------------------------------------------

def test_api_crud_secret_once_and_the_log(admin_user, api, hook, receiver):
    a = api(admin_user)
    created = a.post("/api/webhooks/", {"name": "BI", "url": "https://bi.example.com/in",
                                        "events": ["order.paid", "deal.won"]}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    sub = WebhookSubscription.objects.get(pk=body["id"])
    assert body["secret"] == sub.secret and body["events"] == ["deal.won", "order.paid"]
    shown = a.get(f"/api/webhooks/{sub.pk}/").json()
    assert shown["secret"] is None and shown["secret_hint"] == f"…{sub.secret[-4:]}"
    assert sub.secret not in a.get(f"/api/webhooks/{sub.pk}/history/").content.decode()
    again = a.post(f"/api/webhooks/{sub.pk}/regenerate-secret/").json()
    sub.refresh_from_db()
    assert again["secret"] == sub.secret != body["secret"]
    bad = a.patch(f"/api/webhooks/{sub.pk}/", {"version": sub.version, "url": "http://127.0.0.1/"}, format="json")
    assert bad.status_code == 400 and list(bad.json()) == ["url"]
    assert a.delete(f"/api/webhooks/{sub.pk}/").status_code == 204

    log = a.get("/api/webhook-deliveries/", {"subscription": hook.pk}).json()["results"]
    [row] = log
    assert row["state"] == "delivered" and row["payload"]["data"]["name"] == "Zorgalpha"
    assert row["tries"][0]["status_code"] == 200 and row["tries"][0]["response_body"].startswith("answer 200")
    resent = a.post(f"/api/webhook-deliveries/{row['id']}/resend/")
    assert resent.status_code == 202 and resent.json()["state"] == "pending"
    assert a.post(f"/api/webhook-deliveries/{row['id']}/resend/").status_code == 400
