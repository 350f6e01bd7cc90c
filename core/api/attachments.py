"""``/api/attachments/``: files attached to clients, deals, orders and complaints (core.attachments).

Access follows the record: who may see it lists and downloads its files, who may change it
uploads and deletes them (to the trash, restorable). A record in the trash hides its files.
"""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from core import access
from core import attachments as service
from core.filtersets import BaseFilterSet
from core.models import Attachment

from .permissions import access_action
from .views import BaseModelViewSet

BIG = 2 ** 63 - 1


class AttachmentSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="model_label", read_only=True,
                                  help_text='The record\'s model, e.g. "clients.counterparty".')
    download = serializers.SerializerMethodField(help_text="URL of the bytes (checks access like the record).")

    class Meta:
        model = Attachment
        fields = ("id", "model", "object_id", "name", "size", "mime_type", "description", "uploaded_by",
                  "created_at", "updated_at", "version", "download")
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_download(self, obj):
        return reverse("attachment-download", args=[obj.pk])


class AttachmentUploadSerializer(serializers.Serializer):
    """A new attachment (multipart): to a record the user may change, as on its card."""

    model = serializers.ChoiceField(choices=(), help_text='The record\'s model: "clients.counterparty", '
                                                          '"sales.deal", "sales.order" or "service.complaint".')
    object_id = serializers.IntegerField(min_value=1, max_value=BIG, help_text="The record's id.")
    file = serializers.FileField(help_text="The file (at most KLIENTURA_ATTACHMENT_MAX_MB megabytes, 25 by default).")
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [label for label, _name in service.model_choices()]

    def validate_file(self, upload):
        try:
            service.check_size(upload.size)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return upload

    def validate(self, attrs):
        user = self.context["request"].user
        model = service.registered_model(attrs["model"])
        record = model.objects.restrict(user, access.CHANGE).filter(pk=attrs["object_id"]).first()
        if record is None:
            # The same answer for a record that does not exist and one the user may not change.
            raise serializers.ValidationError({"object_id": ["No such record, or you may not change it."]})
        attrs["record"] = record
        return attrs

    def create(self, validated_data):
        try:
            return service.attach(validated_data["record"], validated_data["file"], user=self.context["request"].user,
                                  description=validated_data.get("description", ""))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) \
                from None


class AttachmentFilterSet(BaseFilterSet):
    model = django_filters.ChoiceFilter(choices=service.model_choices, method="filter_model",
                                        help_text='The record\'s model, e.g. "clients.counterparty".')
    object_id = django_filters.NumberFilter(field_name="object_id", help_text="The record's id.")

    class Meta:
        model = Attachment
        fields = []

    def filter_model(self, queryset, name, value: str):
        app_label, _dot, model = value.partition(".")
        return queryset.filter(content_type__app_label=app_label, content_type__model=model)


class AttachmentPermission(BasePermission):
    """Reading: everyone signed in (rows narrowed by the records). Writing: roles that may change
    some kind of record taking attachments (quality specialists: complaints)."""

    def has_permission(self, request, view):
        act = access_action(request, view)
        if act == access.VIEW:
            return access.rule_for(request.user)[0] is not None
        return any(access.can(request.user, access.CHANGE, model) for model in service.registered_models())


class AttachmentViewSet(BaseModelViewSet):
    """Files attached to clients (``clients.counterparty``), deals (``sales.deal``), orders
    (``sales.order``) and complaints (``service.complaint``). ``?model=…&object_id=…`` lists one
    record's files. Upload (multipart: ``model``, ``object_id``, ``file``, optional ``description``)
    to a record you may change; DELETE moves a file to the trash (``restore`` brings it back);
    ``download`` gives the bytes. A record in the trash hides its files."""

    model = Attachment
    serializer_class = AttachmentSerializer
    filterset_class = AttachmentFilterSet
    permission_classes = [AttachmentPermission]
    parser_classes = [MultiPartParser, FormParser]
    http_method_names = ["get", "head", "options", "post", "delete"]
    select_related = ("content_type", "uploaded_by")
    ordering_fields = ("id", "created_at")

    def get_serializer_class(self):
        return AttachmentUploadSerializer if self.action == "create" else self.serializer_class

    def get_object(self):
        """A row the user sees but may not change: 403, as for the other models of a read-only role."""
        try:
            return super().get_object()
        except Http404 as exc:
            if access_action(self.request, self) == access.VIEW:
                raise
            manager = Attachment.all_objects.trashed() if self.action == "restore" else Attachment.objects
            if manager.restrict(self.request.user, access.VIEW).filter(pk=self.kwargs.get("pk")).exists():
                raise PermissionDenied from exc
            raise

    @extend_schema(request={"multipart/form-data": AttachmentUploadSerializer},
                   responses={201: AttachmentSerializer}, summary="Upload an attachment")
    def create(self, request, *args, **kwargs):
        upload = self.get_serializer(data=request.data)
        upload.is_valid(raise_exception=True)
        attachment = upload.save()
        data = AttachmentSerializer(attachment, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        instance._history_user = self.request.user
        instance.delete()

    @extend_schema(responses={(200, "*/*"): {"type": "string", "format": "binary"}}, summary="Download the file")
    @action(detail=True, methods=["get"], access_action=access.VIEW, filter_backends=[], pagination_class=None)
    def download(self, request, pk=None):
        return service.download_response(self.get_object())
