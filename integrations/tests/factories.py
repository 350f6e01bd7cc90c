"""Factories of the integrations app; each area's module registers its access-matrix samples."""

from .telephony_factories import *  # noqa: F401,F403
