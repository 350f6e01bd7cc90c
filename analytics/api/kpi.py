"""API of the manager indicators (read-only, restricted like the reports) and the sales plans."""

import django_filters
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from core.api.serializers import BaseModelSerializer
from core.api.views import BaseModelViewSet
from core.dates import SerializerDateField
from core.filtersets import BaseFilterSet

from ..models import Indicator, SalesPlan
from ..services import kpi
from ..services.plans import duplicate_message


class SalesPlanSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = SalesPlan
        extra_kwargs = {"currency": {"required": False, "allow_blank": True,
                                     "help_text": "Empty or left out: the company currency."}}

    def validate(self, attrs):
        if ("currency" in attrs and not attrs["currency"]) or (self.instance is None and "currency" not in attrs):
            attrs["currency"] = settings.KLIENTURA_CURRENCY
        manager = attrs.get("manager", getattr(self.instance, "manager", None))
        month = attrs.get("month", getattr(self.instance, "month", None))
        message = duplicate_message(manager, month, getattr(self.instance, "pk", None))
        if message:
            raise serializers.ValidationError({"month": [message]})
        return super().validate(attrs)


class SalesPlanFilterSet(BaseFilterSet):
    manager = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.all())
    month = django_filters.DateFilter(field_name="month")
    month_from = django_filters.DateFilter(field_name="month", lookup_expr="gte")
    month_to = django_filters.DateFilter(field_name="month", lookup_expr="lte")

    class Meta:
        model = SalesPlan
        fields = []


class SalesPlanViewSet(BaseModelViewSet):
    """Monthly sales plans: heads and administrators write; a sales manager reads their own."""

    model = SalesPlan
    serializer_class = SalesPlanSerializer
    filterset_class = SalesPlanFilterSet
    ordering_fields = ("id", "month")


class IndicatorQuerySerializer(serializers.Serializer):
    date_from = SerializerDateField(required=False, help_text="Period start; default: the last full month.")
    date_to = SerializerDateField(required=False, help_text="Period end (inclusive); default: the last full month.")

    def validate(self, attrs):
        default = kpi.last_full_month()
        attrs.setdefault("date_from", default.date_from)
        attrs.setdefault("date_to", default.date_to)
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": [_("The period ends before it starts.")]})
        return attrs


class IndicatorSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=Indicator.choices)
    value = serializers.DecimalField(max_digits=24, decimal_places=2, allow_null=True,
                                     help_text="Count, amount or % (completeness, retention); null: no data.")
    share = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True,
                                     help_text="% of the company total (completeness, retention: the company's ratio).")
    normalised = serializers.DecimalField(max_digits=9, decimal_places=2)


class ManagerIndicatorsSerializer(serializers.Serializer):
    manager = serializers.IntegerField()
    manager_name = serializers.CharField()
    clients = serializers.IntegerField()
    score = serializers.DecimalField(max_digits=9, decimal_places=2)
    place = serializers.IntegerField()
    previous_place = serializers.IntegerField(allow_null=True)
    change = serializers.CharField(help_text='"↑2", "↓1", "=" or "new".')
    indicators = IndicatorSerializer(many=True)


@extend_schema_serializer(many=False)  # the "list" action returns one object
class IndicatorsResponseSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    currency = serializers.CharField()
    results = ManagerIndicatorsSerializer(many=True)


def _row(row):
    return {"manager": row.manager.pk, "manager_name": row.name, "clients": row.clients, "score": row.score,
            "place": row.place, "previous_place": row.previous_place, "change": row.change_text,
            "indicators": [{"code": code, "value": row.values[code], "share": row.shares[code],
                            "normalised": row.normalised[code]} for code in Indicator.values]}


class ManagerIndicatorsViewSet(viewsets.ViewSet):
    """Manager performance for a period: each indicator, score, place (heads: every manager;
    anyone else: only their own line)."""

    pagination_class = None

    @extend_schema(parameters=[IndicatorQuerySerializer], responses=IndicatorsResponseSerializer,
                   summary="Manager indicators, score and place for a period")
    def list(self, request):
        query = IndicatorQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        period = kpi.Period(query.validated_data["date_from"], query.validated_data["date_to"])
        ranking = kpi.rank(period)
        data = {"date_from": period.date_from, "date_to": period.date_to, "currency": ranking.currency,
                "results": [_row(r) for r in ranking.visible_rows(request.user)]}
        return Response(IndicatorsResponseSerializer(data).data)
