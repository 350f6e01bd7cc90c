"""Integration models, one module per area (imports, webhooks, telephony…)."""

from .exchange import BankStatement, BankStatementLine, ExchangeLog, ExternalId  # noqa: F401
from .mail import IncomingLetter, Mailbox  # noqa: F401
from .telephony import Call, CallAlert, PhoneExtension  # noqa: F401
from .webhooks import Event, WebhookAttempt, WebhookDelivery, WebhookSubscription  # noqa: F401
