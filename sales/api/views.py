"""API of pipelines, stages, stage rules, lost reasons, lead sources and deals (with the stage move)."""

import django_filters
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import parsers
from rest_framework.decorators import action
from rest_framework.response import Response

from core import access
from core.api.views import BaseModelViewSet, reference_viewset
from core.filtersets import BaseFilterSet

from .. import filtersets as sales_filtersets
from .. import models as sales_models
from ..filtersets import DealFilterSet
from ..models import Deal, DealLine, LeadSource, LostReason, Pipeline, Stage, StageRule
from ..services.stages import move_deal, stage_entered
from . import serializers


class PipelineViewSet(BaseModelViewSet):
    """Pipelines with their stages: everyone reads, administrators write."""

    model = Pipeline
    serializer_class = serializers.PipelineSerializer
    ordering_fields = ("id", "order")
    prefetch_related = ("stages",)


StageViewSet = reference_viewset(Stage, serializers.StageSerializer,
                                 pipeline=django_filters.NumberFilter(field_name="pipeline"))
LostReasonViewSet = reference_viewset(LostReason, serializers.LostReasonSerializer)
LeadSourceViewSet = reference_viewset(LeadSource, serializers.LeadSourceSerializer)


class StageRuleFilterSet(BaseFilterSet):
    class Meta:
        model = StageRule
        fields = ["stage"]


class StageRuleViewSet(BaseModelViewSet):
    """Tasks created when a deal enters a stage: everyone reads, administrators write."""

    model = StageRule
    serializer_class = serializers.StageRuleSerializer
    filterset_class = StageRuleFilterSet


class DealViewSet(BaseModelViewSet):
    """Deals; filters as in the HTML list (``q``, ``pipeline``, ``stage``, ``kind``, …)."""

    model = Deal
    serializer_class = serializers.DealSerializer
    filterset_class = DealFilterSet
    ordering = ("-created_at",)
    ordering_fields = ("id", "created_at", "amount")
    select_related = ("stage",)

    def perform_create(self, serializer):
        with transaction.atomic():
            deal = serializer.save()
            stage_entered(deal, None, self.request.user)

    @extend_schema(request=serializers.DealMoveSerializer, responses=serializers.DealSerializer,
                   summary="Move to another stage of its pipeline (runs the stage rules; 409 if stale)")
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def move(self, request, pk=None):
        deal = self.get_object()
        data = serializers.DealMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stage = get_object_or_404(Stage.objects.all(), pk=data.validated_data["stage"])
        with transaction.atomic():
            move_deal(deal, stage, request.user, data.validated_data["version"],
                      lost_reason=data.validated_data.get("lost_reason"),
                      comment=data.validated_data.get("comment"))
        deal.refresh_from_db()
        return Response(self.get_serializer(deal).data)

    @extend_schema(responses=serializers.StageChangeSerializer(many=True), summary="Stage history")
    @action(detail=True, methods=["get"], access_action=access.VIEW, filter_backends=[], pagination_class=None)
    def stages(self, request, pk=None):
        changes = self.get_object().stage_changes.order_by("moved_at", "pk")
        return Response(serializers.StageChangeSerializer(changes, many=True).data)


class DealLineFilterSet(BaseFilterSet):
    class Meta:
        model = DealLine
        fields = ["deal", "catalog_product"]


class DealLineViewSet(BaseModelViewSet):
    model = DealLine
    serializer_class = serializers.DealLineSerializer
    filterset_class = DealLineFilterSet


# --- Documents ------------------------------------------------------------------------------------

@extend_schema_view(create=extend_schema(exclude=True))
class DocumentViewSet(BaseModelViewSet):
    """Generated documents (read-only): filter by ``counterparty``, ``deal``, ``order``, ``kind``, ``format``.

    Make one with ``POST generate/``; the file comes from ``GET <id>/download/``; DELETE moves it to the trash.
    """

    model = sales_models.Document
    serializer_class = serializers.DocumentSerializer
    filterset_class = sales_filtersets.DocumentFilterSet
    ordering = ("-created_at",)
    ordering_fields = ("id", "created_at")
    select_related = ("created_by",)
    http_method_names = ["get", "post", "delete", "head", "options"]

    def create(self, request, *args, **kwargs):
        from rest_framework.exceptions import MethodNotAllowed

        raise MethodNotAllowed("POST", detail="Documents are made with POST /api/documents/generate/.")

    @extend_schema(responses={(200, "application/octet-stream"): {"type": "string", "format": "binary"}},
                   summary="Download the file")
    @action(detail=True, methods=["get"], access_action=access.VIEW, filter_backends=[], pagination_class=None)
    def download(self, request, pk=None):
        from ..services import documents as service
        from ..views.documents import file_response

        doc = self.get_object()
        return file_response(doc.file, service.file_name(doc.title, doc.format), service.CONTENT_TYPES[doc.format])

    @extend_schema(request=serializers.DocumentGenerateSerializer,
                   responses={201: serializers.DocumentSerializer},
                   summary="Make a document of a deal or an order (you must be able to change it)")
    @action(detail=False, methods=["post"], access_action=access.ADD, filter_backends=[], pagination_class=None)
    def generate(self, request):
        from rest_framework import status
        from rest_framework.exceptions import APIException, ValidationError

        from core.pdf import PdfUnavailable

        from ..services import documents as service

        data = serializers.DocumentGenerateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            doc = service.generate(values["kind"], values["format"], values.get("deal") or values.get("order"),
                                   request.user, template=values.get("template"),
                                   language=values.get("language") or None)
        except service.DocumentError as exc:
            raise ValidationError({"template": [str(exc)]}) from None
        except PdfUnavailable as exc:
            error = APIException(str(exc))
            error.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
            raise error from None
        return Response(self.get_serializer(doc).data, status=status.HTTP_201_CREATED)


class DocumentTemplateViewSet(BaseModelViewSet):
    """DOCX templates of documents: everyone reads, administrators write (multipart/form-data upload)."""

    model = sales_models.DocumentTemplate
    serializer_class = serializers.DocumentTemplateSerializer
    filterset_class = sales_filtersets.DocumentTemplateFilterSet
    parser_classes = (parsers.MultiPartParser, parsers.FormParser, parsers.JSONParser)
    ordering_fields = ("id", "name")

    @extend_schema(responses={(200, "application/octet-stream"): {"type": "string", "format": "binary"}},
                   summary="Download the uploaded DOCX")
    @action(detail=True, methods=["get"], access_action=access.VIEW, filter_backends=[], pagination_class=None)
    def download(self, request, pk=None):
        from django.http import Http404

        from ..services import documents as service
        from ..views.documents import file_response

        template = self.get_object()
        if not template.file:
            raise Http404
        return file_response(template.file, service.file_name(template.name, "docx"),
                             service.CONTENT_TYPES["docx"])


# --- Orders ----------------------------------------------------------------------------------------

OrderFailureReasonViewSet = reference_viewset(sales_models.OrderFailureReason,
                                              serializers.OrderFailureReasonSerializer)


class OrderViewSet(BaseModelViewSet):
    """Orders with their lines and the order analysis; filters as in the HTML list (``q``, ``state``,
    ``responsible``, ``counterparty``, ``date_from``, ``date_to``, ``failure_reason``, ``deal``)."""

    model = sales_models.Order
    serializer_class = serializers.OrderSerializer
    filterset_class = sales_filtersets.OrderFilterSet
    ordering = ("-date",)
    ordering_fields = ("id", "date", "created_at", "amount")
    select_related = ("counterparty",)

    def perform_create(self, serializer):
        from ..services.orders import recalc

        with transaction.atomic():
            recalc(serializer.save())

    def perform_update(self, serializer):
        from ..services.orders import recalc

        with transaction.atomic():
            recalc(serializer.save())  # the save wrote the totals it read: make sure they are current


class ProductViewSet(BaseModelViewSet):
    """The product catalogue: everyone reads, heads and administrators write. Filters ``q`` (name or
    article), ``category`` (with its subcategories), ``kind``, ``is_active``."""

    model = sales_models.Product
    serializer_class = serializers.ProductSerializer
    filterset_class = sales_filtersets.ProductFilterSet
    select_related = ("category",)


class ProductCategoryViewSet(BaseModelViewSet):
    """Catalogue categories (a tree through ``parent``); filters ``q`` (name), ``parent``."""

    model = sales_models.ProductCategory
    serializer_class = serializers.ProductCategorySerializer
    filterset_class = sales_filtersets.ProductCategoryFilterSet


class OrderLineFilterSet(BaseFilterSet):
    class Meta:
        model = sales_models.OrderLine
        fields = ["order", "catalog_product"]


class OrderLineViewSet(BaseModelViewSet):
    """Order lines; every write recalculates the order's ``amount`` and ``cost``."""

    model = sales_models.OrderLine
    serializer_class = serializers.OrderLineSerializer
    filterset_class = OrderLineFilterSet

    def perform_create(self, serializer):
        from ..services.orders import recalc

        with transaction.atomic():
            recalc(serializer.save().order)

    def perform_update(self, serializer):
        from ..services.orders import recalc

        with transaction.atomic():
            recalc(serializer.save().order)

    def perform_destroy(self, instance):
        from ..services.orders import check_line_change, recalc

        check_line_change(instance, deleting=True)  # a 400 while the line has actual shipments
        with transaction.atomic():
            super().perform_destroy(instance)
            recalc(instance.order)


def _plan_fact_filterset(model, *extra):
    meta = type("Meta", (), {"model": model, "fields": ["order", "kind", *extra]})
    return type(f"{model.__name__}APIFilterSet", (BaseFilterSet,), {
        "Meta": meta,
        "date_from": django_filters.DateFilter(field_name="date", lookup_expr="gte"),
        "date_to": django_filters.DateFilter(field_name="date", lookup_expr="lte"),
    })


class OrderChildViewSet(BaseModelViewSet):
    ordering = ("date",)
    ordering_fields = ("id", "date", "created_at")

    def after_save(self, obj):
        from ..services.orders import complete_if_done

        if obj.kind == sales_models.PlanFact.ACTUAL:
            complete_if_done(obj.order)  # as on the card: fully shipped and paid completes the order


class ShipmentViewSet(OrderChildViewSet):
    """Planned and actual shipments (filters ``order``, ``line``, ``kind``, ``date_from``, ``date_to``).

    A quantity above what is left of the line is a 400 naming ``quantity``.
    """

    model = sales_models.Shipment
    serializer_class = serializers.ShipmentSerializer
    filterset_class = _plan_fact_filterset(sales_models.Shipment, "line")

    def perform_create(self, serializer):
        self.save_locked(serializer)

    def perform_update(self, serializer):
        self.save_locked(serializer)

    def save_locked(self, serializer):
        from ..services.orders import check_shipment

        with transaction.atomic():
            # Checked again under a lock of the line: two clients cannot ship the last units twice.
            line = sales_models.OrderLine.all_objects.select_for_update().get(pk=serializer._validated_instance.line_id)
            serializer._validated_instance.line = line
            check_shipment(serializer._validated_instance)
            self.after_save(serializer.save())


class PaymentViewSet(OrderChildViewSet):
    """Invoices (planned, ``date`` = due date) and receipts (actual); filters ``order``, ``kind``,
    ``date_from``, ``date_to``. The amount must be above zero."""

    model = sales_models.Payment
    serializer_class = serializers.PaymentSerializer
    filterset_class = _plan_fact_filterset(sales_models.Payment)

    def perform_create(self, serializer):
        with transaction.atomic():
            self.after_save(serializer.save())

    def perform_update(self, serializer):
        with transaction.atomic():
            self.after_save(serializer.save())
