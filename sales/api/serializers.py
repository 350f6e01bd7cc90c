from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import BaseModelSerializer

from .. import models as sales_models
from ..models import Deal, DealLine, LeadSource, LostReason, Pipeline, Stage, StageChange, StageRule
from ..services import orders as order_service
from ..services.stages import check_lost_reason


class StageSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = Stage


class PipelineSerializer(BaseModelSerializer):
    stages = serializers.SerializerMethodField(help_text="The stages in order (edit them at /api/stages/).")

    class Meta(BaseModelSerializer.Meta):
        model = Pipeline

    @extend_schema_field({"type": "array", "items": {"type": "object"}})
    def get_stages(self, obj):
        return [{"id": s.pk, "name": s.name, "order": s.order, "probability": s.probability, "kind": s.kind}
                for s in obj.stages.all()]


class LostReasonSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = LostReason


class LeadSourceSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = LeadSource


class StageRuleSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = StageRule


class CatalogLineSerializerMixin:
    """``catalog_product``: only an active product may be newly picked; the line's blank or
    omitted name and price (and cost) are then filled from it. Free-text lines stay as they were."""

    filled_fields = ("product", "price")

    def get_fields(self):
        from core import access

        fields = super().get_fields()
        for name in self.filled_fields:
            fields[name].required = False
        fields["product"].allow_blank = True  # filled from the product, else the model's field error
        pick = fields["catalog_product"]
        if not pick.read_only:  # inactive and trashed rows too: pick_error names what is wrong
            pick.queryset = sales_models.Product.all_objects.restrict(self.user, access.VIEW)
        return fields

    def validate(self, attrs):
        from ..services.catalogue import fill_from_product, pick_error

        current = self.instance.catalog_product_id if isinstance(self.instance, models.Model) else None
        if "catalog_product" in attrs:
            product = attrs["catalog_product"]
            error = pick_error(product, current)
            if error:
                raise serializers.ValidationError({"catalog_product": [error]})
            if product is not None and product.pk != current:
                fill_from_product(attrs, product, self.filled_fields)
        return super().validate(attrs)


class DealLineSerializer(CatalogLineSerializerMixin, BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = DealLine
        extra_kwargs = {"product": {"help_text": "The line's name; empty or omitted with a catalog_product: "
                                                 "the product's name."},
                        "price": {"help_text": "Omitted with a newly picked catalog_product: the product's price."}}


class DealSerializer(BaseModelSerializer):
    """``stage`` is set on create; later moves go through ``POST /api/deals/<id>/move/`` (rules run)."""

    assign_fields = ("responsible",)
    pipeline = serializers.IntegerField(source="stage.pipeline_id", read_only=True)

    class Meta(BaseModelSerializer.Meta):
        model = Deal
        exclude = (*BaseModelSerializer.Meta.exclude, "furthest_stage")  # a report aggregate, not deal data
        read_only_fields = (*BaseModelSerializer.Meta.read_only_fields, "closed_at")
        extra_kwargs = {"responsible": {"required": False, "help_text": "Default: you."},
                        "amount": {"help_text": "With product lines (/api/deal-lines/) the sum of the lines: "
                                                "a value sent is replaced by it."}}

    def validate(self, attrs):
        if self.instance is None:
            attrs.setdefault("responsible", self.user)
            if attrs.get("stage") is not None:
                check_lost_reason(attrs["stage"], attrs.get("lost_reason"))
        return super().validate(attrs)

    def get_fields(self):
        fields = super().get_fields()
        if isinstance(self.instance, models.Model):
            fields["stage"].read_only = True
        return fields


class DealMoveSerializer(serializers.Serializer):
    stage = serializers.IntegerField()
    version = serializers.IntegerField(min_value=1)
    lost_reason = serializers.PrimaryKeyRelatedField(
        queryset=LostReason.objects.all(), required=False, allow_null=True,
        help_text="Required when the stage is a lost one.")
    comment = serializers.CharField(required=False, allow_blank=True, help_text="Won / lost comment.")


class StageChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = StageChange
        fields = ("id", "from_stage", "to_stage", "moved_by", "moved_at")


# --- Documents ------------------------------------------------------------------------------------

class DocumentSerializer(BaseModelSerializer):
    """A generated document; read-only (make one with ``POST /api/documents/generate/``)."""

    download_url = serializers.SerializerMethodField(help_text="GET it to download the file.")

    class Meta(BaseModelSerializer.Meta):
        model = sales_models.Document
        exclude = ("deleted_at", "file")  # the storage path is no URL anyone may fetch

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.read_only = True
        return fields

    @extend_schema_field({"type": "string", "format": "uri"})
    def get_download_url(self, obj):
        from rest_framework.reverse import reverse

        return reverse("document-download", args=[obj.pk], request=self.context.get("request"))


class DocumentGenerateSerializer(serializers.Serializer):
    """What to make: exactly one of ``deal`` / ``order`` (one you may change)."""

    kind = serializers.ChoiceField(choices=sales_models.DocumentKind.choices)
    format = serializers.ChoiceField(choices=sales_models.Document.Format.choices)
    deal = serializers.PrimaryKeyRelatedField(queryset=Deal.objects.none(), required=False, allow_null=True)
    order = serializers.PrimaryKeyRelatedField(queryset=sales_models.Order.objects.none(), required=False,
                                               allow_null=True)
    template = serializers.PrimaryKeyRelatedField(
        queryset=sales_models.DocumentTemplate.objects.filter(is_active=True), required=False, allow_null=True,
        help_text="An uploaded DOCX template of the kind (DOCX only); default: the kind's first active one, "
                  "else the built-in.")
    language = serializers.ChoiceField(choices=(), required=False, allow_blank=True,
                                       help_text="Language of the document; default: the request's.")

    def get_fields(self):
        from django.conf import settings

        from core import access

        fields = super().get_fields()
        user = getattr(self.context.get("request"), "user", None)
        fields["deal"].queryset = Deal.objects.restrict(user, access.CHANGE)
        fields["order"].queryset = sales_models.Order.objects.restrict(user, access.CHANGE)
        fields["language"].choices = [code for code, _name in settings.LANGUAGES]
        return fields

    def validate(self, attrs):
        from django.utils.translation import gettext as _

        if bool(attrs.get("deal")) == bool(attrs.get("order")):
            raise serializers.ValidationError({"deal": [_("Give a deal or an order (one of them).")]})
        template = attrs.get("template")
        if template is not None and template.kind != attrs["kind"]:
            raise serializers.ValidationError({"template": [_("This template is for another kind of document.")]})
        return attrs


class DocumentTemplateSerializer(BaseModelSerializer):
    """Upload the DOCX as multipart/form-data; it must be a template docxtpl can fill in."""

    file = serializers.FileField(write_only=True, required=False, allow_null=True,
                                 help_text="A .docx template; null: use the built-in template of the kind.")
    file_name = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta(BaseModelSerializer.Meta):
        model = sales_models.DocumentTemplate

    def get_file_name(self, obj) -> str:
        return obj.file.name.rsplit("/", 1)[-1] if obj.file else ""

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_download_url(self, obj):
        from rest_framework.reverse import reverse

        if not obj.file:
            return None
        return reverse("documenttemplate-download", args=[obj.pk], request=self.context.get("request"))

    def validate(self, attrs):
        from django.core.exceptions import ValidationError as DjangoValidationError
        from django.core.files.uploadedfile import UploadedFile

        from ..services.documents import check_docx_template

        upload = attrs.get("file")
        kind = attrs.get("kind") or getattr(self.instance, "kind", None)
        if isinstance(upload, UploadedFile) and kind:
            try:
                check_docx_template(upload, kind)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"file": exc.messages}) from None
        if "file" in attrs and attrs["file"] is None:
            attrs["file"] = ""
        return super().validate(attrs)


# --- Orders ---------------------------------------------------------------------------------------

def _money(value):
    return str(value.quantize(order_service.CENT))


def _restrict_for_change(fields, user, *names):
    """Children are written only into orders (lines) the user may change."""
    from core import access

    for name in names:
        field = fields.get(name)
        if field is not None and not field.read_only:
            field.queryset = field.queryset.model.objects.restrict(user, access.CHANGE)


def _check(check, instance):
    from django.core.exceptions import ValidationError as DjangoValidationError

    from core.api.exceptions import drf_validation_error

    try:
        check(instance)
    except DjangoValidationError as exc:
        raise drf_validation_error(exc) from None


class ProductCategorySerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = sales_models.ProductCategory


class ProductSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = sales_models.Product


class OrderFailureReasonSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = sales_models.OrderFailureReason


class OrderLineSerializer(CatalogLineSerializerMixin, BaseModelSerializer):
    """A line; the order's ``amount`` / ``cost`` follow every write. ``order`` is fixed once created.
    A newly picked ``catalog_product`` fills an omitted name, price and cost."""

    filled_fields = ("product", "price", "cost")
    total = serializers.SerializerMethodField()

    class Meta(BaseModelSerializer.Meta):
        model = sales_models.OrderLine

    def get_total(self, obj) -> str:
        return _money(obj.total)

    def get_fields(self):
        fields = super().get_fields()
        if isinstance(self.instance, models.Model):
            fields["order"].read_only = True
        _restrict_for_change(fields, self.user, "order")
        return fields

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = self._validated_instance
        _check(lambda line: order_service.check_line_change(line, quantity=line.quantity), instance)
        return attrs


class ShipmentSerializer(BaseModelSerializer):
    """A planned or actual shipment of a line; ``order`` defaults to the line's. The quantity may not
    exceed what is left of the line (ordered minus shipped, or minus planned for a plan)."""

    class Meta(BaseModelSerializer.Meta):
        model = sales_models.Shipment
        extra_kwargs = {"order": {"required": False, "help_text": "Default: the line's order."}}

    def get_fields(self):
        fields = super().get_fields()
        if isinstance(self.instance, models.Model):
            fields["order"].read_only = fields["line"].read_only = True
        _restrict_for_change(fields, self.user, "order", "line")
        return fields

    def validate(self, attrs):
        if self.instance is None and attrs.get("line") is not None:
            attrs.setdefault("order", attrs["line"].order)
        attrs = super().validate(attrs)
        _check(order_service.check_shipment, self._validated_instance)
        return attrs


class PaymentSerializer(BaseModelSerializer):
    """``kind`` planned: an invoice, ``date`` its payment due date; actual: a receipt on ``date``.
    ``reminder_task`` is the "call about payment" task made three working days before the due date."""

    kind = serializers.ChoiceField(required=False, help_text="Default: planned (an invoice).", choices=[
        (sales_models.PlanFact.PLANNED, "Planned: an invoice, date = its payment due date"),
        (sales_models.PlanFact.ACTUAL, "Actual: a receipt, date = the day it came")])

    class Meta(BaseModelSerializer.Meta):
        model = sales_models.Payment

    def get_fields(self):
        fields = super().get_fields()
        if isinstance(self.instance, models.Model):
            fields["order"].read_only = True
        _restrict_for_change(fields, self.user, "order")
        return fields

    def validate(self, attrs):
        attrs = super().validate(attrs)
        _check(order_service.check_payment, self._validated_instance)
        return attrs


class OrderAnalysisListSerializer(serializers.ListSerializer):
    """Analyses a page of orders at once (two queries), not order by order."""

    def to_representation(self, data):
        items = list(data.all() if isinstance(data, models.Manager) else data)
        self.context["analysis"] = {item.order.pk: item for item in order_service.analysis(items)}
        return super().to_representation(items)


class OrderSerializer(BaseModelSerializer):
    """An order with its lines and the order analysis (read-only): write lines at /api/order-lines/.

    Falling through (``state`` "failed") needs a ``failure_reason``.
    """

    assign_fields = ("responsible",)
    lines = serializers.SerializerMethodField(help_text="The lines with what is shipped and paid of each.")
    analysis = serializers.SerializerMethodField(
        help_text="Totals: ordered, shipped, left to ship, paid (receipts), invoiced, owed, debt for shipped.")

    class Meta(BaseModelSerializer.Meta):
        model = sales_models.Order
        list_serializer_class = OrderAnalysisListSerializer
        extra_kwargs = {"responsible": {"required": False, "help_text": "Default: you."},
                        "number": {"help_text": "Empty: the order's id."}}

    def _analysis(self, obj):
        found = self.context.get("analysis", {}).get(obj.pk)
        if found is None:
            found = order_service.analysis_of(obj)
            self.context.setdefault("analysis", {})[obj.pk] = found
        return found

    @extend_schema_field({"type": "array", "items": {"type": "object"}})
    def get_lines(self, obj):
        return [{"id": row.line.pk, "version": row.line.version, "product": row.line.product,
                 "quantity": str(row.ordered_qty), "price": _money(row.line.price), "cost": _money(row.line.cost),
                 "total": _money(row.ordered), "shipped_quantity": str(row.shipped_qty),
                 "left_quantity": str(row.left_qty), "paid": _money(row.paid), "owed": _money(row.owed),
                 "debt": _money(row.debt)}
                for row in self._analysis(obj).lines]

    @extend_schema_field({"type": "object"})
    def get_analysis(self, obj):
        item = self._analysis(obj)
        return {"ordered": _money(item.ordered), "shipped": _money(item.shipped), "left": _money(item.left),
                "paid": _money(item.paid), "invoiced": _money(item.invoiced), "owed": _money(item.owed),
                "debt": _money(item.debt), "fully_shipped": item.fully_shipped, "fully_paid": item.fully_paid}

    def get_fields(self):
        fields = super().get_fields()
        _restrict_for_change(fields, self.user, "counterparty")
        return fields

    def validate(self, attrs):
        from django.utils.translation import gettext as _

        if self.instance is None:
            attrs.setdefault("responsible", self.user)
        if attrs.get("state") and attrs["state"] != sales_models.Order.State.FAILED:
            attrs.setdefault("failure_reason", None)  # reopened or completed: the reason no longer applies
        deal = attrs.get("deal", getattr(self.instance, "deal", None))
        counterparty = attrs.get("counterparty", getattr(self.instance, "counterparty", None))
        if deal is not None and counterparty is not None and deal.counterparty_id != counterparty.pk:
            raise serializers.ValidationError({"deal": [_("The deal is with another client.")]})
        return super().validate(attrs)
