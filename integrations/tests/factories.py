"""Contributions of the integration areas to the generated access matrix (core.tests.samples)."""

from .mail_factories import register_matrix as register_mail

register_mail()
