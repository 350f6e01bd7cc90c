"""Integration models, one module per area (imports, webhooks, telephony…)."""

from .mail import IncomingLetter, Mailbox  # noqa: F401
from .webhooks import Event, WebhookAttempt, WebhookDelivery, WebhookSubscription  # noqa: F401
