"""Service and quality models (SPEC §7): complaints, equipment and service, surveys."""

from .complaints import Complaint, ComplaintTask, ComplaintType, Department  # noqa: F401
from .equipment import Equipment, InstallationTask, ServiceContract, ServiceVisit  # noqa: F401
from .surveys import (  # noqa: F401
    Answer,
    Channel,
    Question,
    Survey,
    SurveyInvitation,
    SurveyRule,
    SurveyRuleRun,
)
