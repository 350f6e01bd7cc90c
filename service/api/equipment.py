"""API of service contracts, equipment and service visits (same access rules as the pages)."""

from django.db import transaction
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core import access
from core.api.serializers import BaseModelSerializer
from core.api.views import BaseModelViewSet

from .. import equipment_services as services
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


class ConsultationSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    content = serializers.CharField(required=False, allow_blank=True, default="", help_text="What was advised.")
    minutes = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=24 * 60,
                                       help_text="Time spent, minutes.")


PLANNED = inline_serializer("PlannedVisits", {"created": serializers.IntegerField(
    help_text="Visits planned now (0: every visit of the contract was planned already).")})
LOGGED = inline_serializer("LoggedConsultation", {"interaction": serializers.IntegerField(
    help_text="The id of the done incoming call (an interaction whose basis is the equipment).")})


class ServiceContractViewSet(BaseModelViewSet):
    """Service contracts: period, visits per year, response time, installation deadline."""

    model = ServiceContract
    serializer_class = ServiceContractSerializer
    filterset_class = ServiceContractFilterSet
    ordering_fields = ("id", "start", "end", "number")

    @extend_schema(request=None, responses={200: PLANNED},
                   summary="Plan the contract's visits (spread over its period; idempotent)")
    @action(detail=True, methods=["post"], url_path="plan-visits", access_action=access.CHANGE, filter_backends=[])
    def plan_visits(self, request, pk=None):
        contract = self.get_object()
        if not access.can(request.user, access.ADD, ServiceVisit):
            raise PermissionDenied
        with transaction.atomic():
            created = services.plan_visits(contract)
        return Response({"created": created})


class EquipmentViewSet(BaseModelViewSet):
    """Equipment installed at clients (a catalogue model with its serial number)."""

    model = Equipment
    serializer_class = EquipmentSerializer
    filterset_class = EquipmentFilterSet
    ordering_fields = ("id", "serial_number", "installed_on", "warranty_until")

    @extend_schema(request=ConsultationSerializer, responses={201: LOGGED},
                   summary="Log a phone consultation about the unit")
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def consultations(self, request, pk=None):
        equipment = self.get_object()
        params = ConsultationSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        with transaction.atomic():
            call = services.log_consultation(equipment, request.user, data["subject"], data["content"],
                                             data.get("minutes"))
        return Response({"interaction": call.pk}, status=status.HTTP_201_CREATED)


class ServiceVisitViewSet(BaseModelViewSet):
    """Visits of service engineers; the client follows the equipment or the contract."""

    model = ServiceVisit
    serializer_class = ServiceVisitSerializer
    filterset_class = ServiceVisitFilterSet
    ordering_fields = ("id", "planned_start")
