"""Integration models, one module per area (imports, webhooks, telephony…)."""
from .exchange import BankStatement, BankStatementLine, ExchangeLog, ExternalId  # noqa: F401
