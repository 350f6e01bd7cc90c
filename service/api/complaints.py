"""Complaints API: types, departments, complaints (transitions validated like the card), subtasks."""

import django_filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import BaseModelSerializer
from core.api.views import BaseModelViewSet, reference_viewset
from core.filtersets import BaseFilterSet

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
