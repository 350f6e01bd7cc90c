"""Events of the other apps turned into webhook deliveries (the outbox).

Django signals on the other apps' models (integrations may import them; they do not know about
webhooks). Each event writes one ``WebhookDelivery`` per active subscription that wants it, in
the transaction of the change itself: if the change rolls back, so do its deliveries; once it
commits, the worker is woken to send them.

| event                 | when                                                                   |
| --------------------- | ---------------------------------------------------------------------- |
| client.created        | a counterparty is saved for the first time                             |
| client.changed        | a counterparty is saved with a field changed (also to / from the trash)|
| deal.stage_changed    | a deal moves from one stage to another (a StageChange row)            |
| deal.won / deal.lost  | a deal enters a won / lost stage (also when created in one)            |
| order.paid            | an actual payment is recorded, changed or restored and the order is   |
|                       | now fully paid (receipts ≥ its lines' total) while before it was not   |
| complaint.created     | a complaint is saved for the first time                                |
| inquiry.created       | an inquiry is saved for the first time                                 |

Bulk operations that bypass ``save()`` (``QuerySet.update()``, ``bulk_create()``, raw SQL, the
demo and bench generators, restores of a backup) send no signals and emit no events.
"""

import json
import logging
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from clients.models import Counterparty
from marketing.models import Inquiry
from sales.models import Payment, PlanFact, Stage, StageChange
from service.models import Complaint

from ..models.webhooks import Event, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)
VERSION = 1
# Saves that change only these fields are not a "client.changed".
CLIENT_IGNORED = {"updated_at", "version", "search_text"}


# --- Emitting ------------------------------------------------------------------------------------

def subscriptions_for(event):
    """Active subscriptions that want ``event`` (few rows: filtered here, not in SQL, as JSON
    containment differs between SQLite and PostgreSQL)."""
    rows = WebhookSubscription.all_objects.filter(is_active=True, deleted_at__isnull=True).values_list("pk", "events")
    return [pk for pk, events in rows if isinstance(events, list) and event in events]


def encode(payload):
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def emit(event, obj, data, now=None):
    """One delivery per active subscription wanting ``event``; returns them.

    Runs inside the caller's transaction. A payload that cannot be built is logged and skipped:
    a webhook must never stop a user from saving a client.
    """
    targets = subscriptions_for(event)
    if not targets:
        return []
    now = now or timezone.now()
    event_id = uuid.uuid4()
    try:
        with transaction.atomic():  # a savepoint: a failing query here leaves the caller's transaction usable
            body = encode({"v": VERSION, "id": str(event_id), "event": event,
                           "occurred_at": now.isoformat(), "data": data()})
            rows = WebhookDelivery.objects.bulk_create([
                WebhookDelivery(subscription_id=pk, event=event, event_id=event_id, object_id=obj.pk, body=body,
                                created_at=now, next_attempt_at=now) for pk in targets])
    except Exception:
        logger.exception("Webhook event %s of %s %s was not recorded", event, type(obj).__name__, obj.pk)
        return []
    wake_after_commit()
    return rows


def wake_after_commit():
    from . import tasks

    transaction.on_commit(tasks.send_soon)


# --- Payloads ------------------------------------------------------------------------------------

def api_url(basename, pk):
    try:
        path = reverse(f"{basename}-detail", args=[pk])
    except NoReverseMatch:
        return ""
    base = (getattr(settings, "KLIENTURA_BASE_URL", "") or "").rstrip("/")
    return f"{base}{path}"


def person(user):
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": user.get_full_name() or user.username}


def ref(obj, **extra):
    return None if obj is None else {"id": obj.pk, "name": str(obj), **extra}


def money(value):
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))


def client_data(cp, changed=None):
    data = {
        "id": cp.pk, "api_url": api_url("counterparty", cp.pk), "kind": cp.kind, "name": cp.name,
        "full_name": cp.full_name, "country": cp.country, "tax_id": cp.tax_id, "kpp": cp.kpp, "ogrn": cp.ogrn,
        "city": cp.city, "is_client": cp.is_client, "is_supplier": cp.is_supplier, "is_partner": cp.is_partner,
        "is_competitor": cp.is_competitor, "main_manager": person(cp.main_manager),
        "created_at": cp.created_at, "updated_at": cp.updated_at, "deleted": cp.deleted_at is not None,
    }
    if changed is not None:
        data["changed_fields"] = changed
    return data


def stage_data(stage):
    return None if stage is None else {"id": stage.pk, "name": str(stage.name), "kind": stage.kind,
                                       "pipeline": stage.pipeline_id}


def deal_data(deal, change=None):
    data = {
        "id": deal.pk, "api_url": api_url("deal", deal.pk), "title": deal.title, "amount": money(deal.amount),
        "currency": deal.currency, "stage": stage_data(deal.stage), "counterparty": ref(deal.counterparty),
        "responsible": person(deal.responsible), "expected_close_date": deal.expected_close_date,
        "closed_at": deal.closed_at, "lost_reason": ref(deal.lost_reason), "result_comment": deal.result_comment,
        "created_at": deal.created_at,
    }
    if change is not None:
        data["from_stage"] = stage_data(change.from_stage)
        data["to_stage"] = stage_data(change.to_stage)
        data["moved_by"] = person(change.moved_by)
        data["moved_at"] = change.moved_at
    return data


def order_data(order, analysis):
    return {
        "id": order.pk, "api_url": api_url("order", order.pk), "number": order.number or str(order.pk),
        "date": order.date, "state": order.state, "currency": order.currency, "amount": money(analysis.ordered),
        "paid": money(analysis.paid), "counterparty": ref(order.counterparty), "deal": order.deal_id,
        "responsible": person(order.responsible),
    }


def complaint_data(c):
    return {
        # The number is assigned right after the first save (Complaint.save), in the same form.
        "id": c.pk, "api_url": api_url("complaint", c.pk), "number": c.number or f"C-{c.pk:06d}",
        "subject": c.subject, "description": c.description, "type": ref(c.type), "channel": c.channel,
        "state": c.state, "counterparty": ref(c.counterparty), "contact_person": ref(c.contact_person),
        "received_at": c.received_at, "deadline": c.deadline, "responsible": person(c.responsible),
        "product": ref(c.product), "deal": c.deal_id, "order": c.order_id,
    }


def inquiry_data(i):
    return {
        "id": i.pk, "api_url": api_url("inquiry", i.pk), "received_at": i.received_at, "channel": i.channel,
        "company": i.company, "person_name": i.person_name, "phone": i.phone, "email": i.email,
        "message": i.message, "state": i.state, "campaign": ref(i.campaign), "lead_source": ref(i.lead_source),
        "utm_source": i.utm_source, "utm_medium": i.utm_medium, "utm_campaign": i.utm_campaign,
        "responsible": person(i.responsible), "counterparty": ref(i.counterparty),
    }


# --- Receivers -----------------------------------------------------------------------------------

def _client_fields():
    """{column attribute: field name} of what a "client.changed" compares."""
    return {f.attname: f.name for f in Counterparty._meta.concrete_fields if f.attname not in CLIENT_IGNORED}


def client_pre_save(sender, instance, raw=False, **kwargs):
    instance._webhook_before = None
    if raw or instance._state.adding or not instance.pk or not subscriptions_for(Event.CLIENT_CHANGED):
        return
    instance._webhook_before = Counterparty.all_objects.filter(pk=instance.pk).values(*_client_fields()).first()


def client_post_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        emit(Event.CLIENT_CREATED, instance, lambda: client_data(instance))
        return
    before = getattr(instance, "_webhook_before", None)
    instance._webhook_before = None
    if before is None:
        return
    names = _client_fields()
    changed = [names[attname] for attname in before if before[attname] != getattr(instance, attname)]
    if changed:
        emit(Event.CLIENT_CHANGED, instance, lambda: client_data(instance, changed))


def stage_change_saved(sender, instance, created, raw=False, **kwargs):
    if raw or not created:
        return
    change, deal = instance, instance.deal
    if change.from_stage_id and change.from_stage_id != change.to_stage_id:
        emit(Event.DEAL_STAGE_CHANGED, deal, lambda: deal_data(deal, change), now=change.moved_at)
    kind = change.to_stage.kind
    was = change.from_stage.kind if change.from_stage_id else None
    if kind != was and kind in (Stage.Kind.WON, Stage.Kind.LOST):
        event = Event.DEAL_WON if kind == Stage.Kind.WON else Event.DEAL_LOST
        emit(event, deal, lambda: deal_data(deal, change), now=change.moved_at)


def _counted(kind, amount, deleted_at):
    """What a payment adds to the order's receipts."""
    return Decimal(amount or 0) if kind == PlanFact.ACTUAL and deleted_at is None else Decimal(0)


def payment_pre_save(sender, instance, raw=False, **kwargs):
    instance._webhook_before = Decimal(0)
    if raw or instance._state.adding or not instance.pk or not subscriptions_for(Event.ORDER_PAID):
        return
    old = Payment.all_objects.filter(pk=instance.pk).values("kind", "amount", "deleted_at", "order_id").first()
    if old is not None and old["order_id"] == instance.order_id:
        instance._webhook_before = _counted(old["kind"], old["amount"], old["deleted_at"])


def payment_post_save(sender, instance, created, raw=False, **kwargs):
    if raw or not subscriptions_for(Event.ORDER_PAID):
        return
    from sales.services.orders import analysis_of

    now_counted = _counted(instance.kind, instance.amount, instance.deleted_at)
    before_counted = getattr(instance, "_webhook_before", Decimal(0))
    if now_counted <= before_counted:
        return  # receipts did not grow: the order cannot have become paid
    order = instance.order
    if order.deleted_at is not None:
        return
    analysis = analysis_of(order)
    if not analysis.fully_paid:
        return
    paid_before = analysis.paid - now_counted + before_counted
    if paid_before >= analysis.ordered:
        return  # it was paid already
    emit(Event.ORDER_PAID, order, lambda: order_data(order, analysis))


def complaint_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        emit(Event.COMPLAINT_CREATED, instance, lambda: complaint_data(instance))


def inquiry_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        emit(Event.INQUIRY_CREATED, instance, lambda: inquiry_data(instance))


def connect():
    """Called from IntegrationsConfig.ready() (through integrations.webhooks.setup)."""
    uid = "integrations.webhooks"
    pre_save.connect(client_pre_save, sender=Counterparty, dispatch_uid=f"{uid}.client_pre")
    post_save.connect(client_post_save, sender=Counterparty, dispatch_uid=f"{uid}.client")
    post_save.connect(stage_change_saved, sender=StageChange, dispatch_uid=f"{uid}.stage")
    pre_save.connect(payment_pre_save, sender=Payment, dispatch_uid=f"{uid}.payment_pre")
    post_save.connect(payment_post_save, sender=Payment, dispatch_uid=f"{uid}.payment")
    post_save.connect(complaint_saved, sender=Complaint, dispatch_uid=f"{uid}.complaint")
    post_save.connect(inquiry_saved, sender=Inquiry, dispatch_uid=f"{uid}.inquiry")
