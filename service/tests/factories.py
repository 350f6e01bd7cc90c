"""Samples of the service models for the generated tests (each area keeps its own module)."""

from .complaint_factories import *  # noqa: F401, F403
from .equipment_factories import *  # noqa: F401, F403
from .survey_factories import *  # noqa: F401, F403
