"""Factories of the integrations app; each area's module registers its access-matrix samples."""

from . import factories_exchange, factories_imports  # noqa: F401
from .mail_factories import register_matrix as register_mail
from .telephony_factories import *  # noqa: F401,F403

register_mail()
