"""Service API resources, registered on the shared router (see klientura/api_urls.py)."""

from core.api.router import router

from . import equipment

router.register("service-contracts", equipment.ServiceContractViewSet)
router.register("equipment", equipment.EquipmentViewSet)
router.register("service-visits", equipment.ServiceVisitViewSet)
