"""Integration models, one module per area (imports, webhooks, telephony…)."""
from .exchange import BankStatement, BankStatementLine  # noqa: F401
