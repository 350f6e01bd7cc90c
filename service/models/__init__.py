"""Service and quality models (SPEC §7): complaints, equipment and service, surveys."""
