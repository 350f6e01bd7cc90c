"""Samples and probes of the integration areas for the access matrix (core/tests/samples.py)."""

from . import factories_exchange  # noqa: F401  bank statements and their payments
