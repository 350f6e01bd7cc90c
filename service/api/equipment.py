"""API of service contracts, equipment and service visits (same access rules as the pages)."""

from django.contrib.auth import get_user_model
from django.db import transaction
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core import access
from core.api.serializers import BaseModelSerializer
from core.api.views import BaseModelViewSet
from sales.models import Order

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


class InstallationSerializer(serializers.Serializer):
    """The order (one you may change) and, optionally, the service engineer."""

    order = serializers.PrimaryKeyRelatedField(queryset=Order.objects.none(), help_text="An order you may change.")
    engineer = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.none(), required=False, allow_null=True,
        help_text="An active service engineer; default: the contract's, else the first active one.")

    def get_fields(self):
        fields = super().get_fields()
        # The same rows as the order card's panel: changeable orders, active service engineers.
        fields["order"].queryset = Order.objects.restrict(self.context["request"].user, access.CHANGE)
        fields["engineer"].queryset = services.service_engineers()
        return fields


PLANNED = inline_serializer("PlannedVisits", {"created": serializers.IntegerField(
    help_text="Visits planned now (0: every visit of the contract was planned already).")})
LOGGED = inline_serializer("LoggedConsultation", {"interaction": serializers.IntegerField(
    help_text="The id of the done incoming call (an interaction whose basis is the equipment).")})

INSTALLATION = inline_serializer("InstallationTaskResult", {
    "task": serializers.IntegerField(help_text="The id of the installation task (/api/tasks/<id>/)."),
    "title": serializers.CharField(),
    "assignee": serializers.IntegerField(allow_null=True),
    "deadline": serializers.DateTimeField(allow_null=True),
    "created": serializers.BooleanField(help_text="False: the order already had this task."),
})


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

    @extend_schema(request=InstallationSerializer, responses={201: INSTALLATION, 200: INSTALLATION},
                   summary="Create the installation task of an order (idempotent: 200 with the existing one)")
    @action(detail=False, methods=["post"], access_action=access.CHANGE, filter_backends=[], pagination_class=None)
    def installation(self, request):
        # As the order card's panel: whoever may change the order. The role check comes first
        # (403); an order one may not change is not a valid choice (400 naming "order").
        if not access.can(request.user, access.CHANGE, Order):
            raise PermissionDenied
        params = InstallationSerializer(data=request.data, context=self.get_serializer_context())
        params.is_valid(raise_exception=True)
        data = params.validated_data
        task, created = services.create_installation_task(data["order"], request.user, data.get("engineer"))
        return Response({"task": task.pk, "title": task.title, "assignee": task.assignee_id,
                         "deadline": serializers.DateTimeField().to_representation(task.deadline)
                         if task.deadline else None, "created": created},
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ServiceVisitViewSet(BaseModelViewSet):
    """Visits of service engineers; the client follows the equipment or the contract."""

    model = ServiceVisit
    serializer_class = ServiceVisitSerializer
    filterset_class = ServiceVisitFilterSet
    ordering_fields = ("id", "planned_start")
