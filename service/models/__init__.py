"""Service and quality models (SPEC §7): complaints, equipment and service, surveys."""

from .equipment import Equipment, InstallationTask, ServiceContract, ServiceVisit  # noqa: F401
