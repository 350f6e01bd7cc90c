"""Samples and probes of the integrations' models for the generated access matrix, one module per area."""

from . import factories_imports  # noqa: F401
