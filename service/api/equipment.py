"""API of service contracts, equipment and service visits (same access rules as the pages)."""

from core.api.serializers import BaseModelSerializer
from core.api.views import BaseModelViewSet

from ..equipment_filtersets import EquipmentFilterSet, ServiceContractFilterSet, ServiceVisitFilterSet
from ..models import Equipment, ServiceContract, ServiceVisit


class ServiceContractSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = ServiceContract
        exclude = ("deleted_at", "end_notified_for")


class EquipmentSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = Equipment
        exclude = ("deleted_at", "warranty_notified_for")


class ServiceVisitSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = ServiceVisit
        exclude = ("deleted_at", "plan_index")


class ServiceContractViewSet(BaseModelViewSet):
    """Service contracts: period, visits per year, response time, installation deadline."""

    model = ServiceContract
    serializer_class = ServiceContractSerializer
    filterset_class = ServiceContractFilterSet
    ordering_fields = ("id", "start", "end", "number")


class EquipmentViewSet(BaseModelViewSet):
    """Equipment installed at clients (a catalogue model with its serial number)."""

    model = Equipment
    serializer_class = EquipmentSerializer
    filterset_class = EquipmentFilterSet
    ordering_fields = ("id", "serial_number", "installed_on", "warranty_until")


class ServiceVisitViewSet(BaseModelViewSet):
    """Visits of service engineers; the client follows the equipment or the contract."""

    model = ServiceVisit
    serializer_class = ServiceVisitSerializer
    filterset_class = ServiceVisitFilterSet
    ordering_fields = ("id", "planned_start")
