"""Service and quality models (SPEC §7): complaints, equipment and service, surveys."""

from .complaints import Complaint, ComplaintTask, ComplaintType, Department  # noqa: F401
