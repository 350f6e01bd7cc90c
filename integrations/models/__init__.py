"""Integration models, one module per area (imports, mail, webhooks, telephony, exchange)."""

from .exchange import BankStatement, BankStatementLine, ExchangeLog, ExternalId  # noqa: F401
from .imports import ImportJob, ImportKind, ImportMapping, ImportPolicy, RowAction  # noqa: F401
from .mail import IncomingLetter, Mailbox  # noqa: F401
from .telephony import Call, CallAlert, PhoneExtension  # noqa: F401
from .webhooks import Event, WebhookAttempt, WebhookDelivery, WebhookSubscription  # noqa: F401
