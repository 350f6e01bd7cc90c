"""Complaints API: types, departments, complaints (transitions validated like the card), subtasks."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from core import access
from core.api.exceptions import drf_validation_error
from core.api.serializers import BaseModelSerializer
from core.api.views import BaseModelViewSet, reference_viewset
from core.filtersets import BaseFilterSet

from .. import complaints
from ..complaint_filtersets import ComplaintFilterSet
from ..models import Complaint, ComplaintTask, ComplaintType, Department


class ComplaintTypeSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = ComplaintType


class DepartmentSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = Department


class ComplaintSerializer(BaseModelSerializer):
    is_overdue = serializers.SerializerMethodField(help_text="Open and past its deadline.")

    class Meta(BaseModelSerializer.Meta):
        model = Complaint

    @extend_schema_field(serializers.BooleanField())
    def get_is_overdue(self, obj):
        return obj.is_overdue


class ComplaintTaskSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = ComplaintTask


class ClosingCallSerializer(serializers.Serializer):
    result = serializers.CharField(help_text="What the client said.")
    satisfaction = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    close = serializers.BooleanField(default=False, help_text="Close a decided complaint with the call.")


ComplaintTypeViewSet = reference_viewset(ComplaintType, ComplaintTypeSerializer)
DepartmentViewSet = reference_viewset(Department, DepartmentSerializer)


class ComplaintViewSet(BaseModelViewSet):
    """Complaints of clients: a sales manager sees those of their own clients; quality specialists
    handle all. State moves follow the flow (new → in progress → decided → closed, or rejected)."""

    model = Complaint
    serializer_class = ComplaintSerializer
    filterset_class = ComplaintFilterSet
    ordering_fields = ("id", "received_at")
    select_related = ("type", "counterparty", "responsible")

    @extend_schema(request=ClosingCallSerializer, responses={200: ComplaintSerializer},
                   summary="Record the closing call (and close a decided complaint)")
    @action(detail=True, methods=["post"], url_path="closing-call", access_action=access.CHANGE, filter_backends=[])
    def closing_call(self, request, pk=None):
        complaint = self.get_object()
        params = ClosingCallSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            complaints.record_closing_call(complaint, request.user, data["result"],
                                           satisfaction=data.get("satisfaction"), close=data["close"])
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from None
        complaint.refresh_from_db()
        return Response(self.get_serializer(complaint).data)


class ComplaintTaskFilterSet(BaseFilterSet):
    complaint = django_filters.NumberFilter(field_name="complaint_id")
    done = django_filters.BooleanFilter(field_name="done_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = ComplaintTask
        fields = []


class ComplaintTaskViewSet(BaseModelViewSet):
    """Subtasks of complaints for the departments involved."""

    model = ComplaintTask
    serializer_class = ComplaintTaskSerializer
    filterset_class = ComplaintTaskFilterSet
    ordering_fields = ("id", "deadline")

