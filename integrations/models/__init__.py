"""Integration models, one module per area (imports, webhooks, telephony…)."""
from .webhooks import Event, WebhookAttempt, WebhookDelivery, WebhookSubscription  # noqa: F401
