"""Integration models, one module per area (imports, webhooks, telephony…)."""
from .telephony import Call, CallAlert, PhoneExtension  # noqa: F401
