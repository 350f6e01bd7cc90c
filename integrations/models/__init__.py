"""Integration models, one module per area (imports, webhooks, telephony…)."""
