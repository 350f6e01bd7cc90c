"""Integration models, one module per area (imports, webhooks, telephony…)."""
from .imports import ImportJob, ImportKind, ImportMapping, ImportPolicy, RowAction  # noqa: F401
