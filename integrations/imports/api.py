"""Import API: upload a file (validated at once, or — more than ``services.INLINE_ROWS`` rows — in
the worker: 202 and ``validating`` until the report is there), adjust the mapping, run with a
policy, follow the progress, cancel. Jobs are the uploader's (heads and the roles that see every
client see all)."""

import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from core import access
from core.api.permissions import access_action
from core.api.router import router

from ..models import ImportJob, ImportKind, ImportPolicy, RowAction
from . import services


class ImportJobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField(help_text="Percent done (while running: the worker's report).")
    step = serializers.SerializerMethodField()
    stalled = serializers.SerializerMethodField(
        help_text="Validating with no sign of life from the worker for a while: post the mapping again to restart.")

    class Meta:
        model = ImportJob
        fields = ("id", "kind", "file_name", "file_format", "encoding", "delimiter", "headers", "mapping", "state",
                  "policy", "overrides", "skip_errors", "progress", "step", "total_rows", "error_rows",
                  "created_count", "updated_count", "skipped_count", "summary", "errors", "preview", "flagged",
                  "error", "stalled", "created_by", "created_at", "started_by", "started_at", "finished_at")
        read_only_fields = fields

    def get_progress(self, job) -> int:
        return services.live_progress(job)[0]

    def get_step(self, job) -> str:
        return services.live_progress(job)[1]

    def get_stalled(self, job) -> bool:
        return services.validation_stalled(job)


def _mapping_field():
    return serializers.ListField(child=serializers.CharField(allow_blank=True, max_length=50), required=False,
                                 max_length=500,
                                 help_text="The target field of each column, in the file's order (\"\": not imported).")


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=f"CSV, XLSX or vCard, at most {services.MAX_FILE_BYTES >> 20} MB.")
    kind = serializers.ChoiceField(choices=ImportKind.choices, default=ImportKind.CLIENTS)
    mapping = serializers.CharField(required=False, allow_blank=True, max_length=20000,
                                    help_text="JSON list: the target field of each column (\"\": not imported). "
                                              "Without it the mapping is guessed from the column names.")

    def validate_mapping(self, value):
        if not value:
            return None
        try:
            mapping = json.loads(value)
        except ValueError:
            raise ValidationError("Not JSON: send a list such as [\"name\", \"tax_id\", \"\"].") from None
        if not isinstance(mapping, list) or not all(isinstance(m, str) for m in mapping):
            raise ValidationError("Send a list of field names (strings).")
        return mapping


class ImportMappingSerializer(serializers.Serializer):
    mapping = _mapping_field()
    remember = serializers.BooleanField(default=False, help_text="Remember it for files with the same columns.")
    shared = serializers.BooleanField(default=False, help_text="…for everyone (heads and administrators).")


class ImportRunSerializer(serializers.Serializer):
    policy = serializers.ChoiceField(choices=ImportPolicy.choices, required=False)
    overrides = serializers.DictField(child=serializers.ChoiceField(choices=RowAction.choices), required=False,
                                      help_text="Action per row number, e.g. {\"12\": \"skip\"}.")
    skip_errors = serializers.BooleanField(required=False)

    def validate_overrides(self, value):
        bad = [key for key in value if not str(key).isdigit() or len(str(key)) > 9]
        if bad:
            raise ValidationError(f"Not row numbers: {', '.join(map(str, bad[:5]))}.")
        return value


def _drf_error(exc):
    if hasattr(exc, "message_dict"):
        return ValidationError(exc.message_dict)
    return ValidationError({"detail": exc.messages})


class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Imports: ``POST`` a file (multipart) to get its guessed mapping and validation report."""

    model = ImportJob
    access_action = None
    queryset = ImportJob.objects.none()
    serializer_class = ImportJobSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_fields = ("state", "kind")
    ordering = ("-id",)
    ordering_fields = ("id", "created_at")
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        act = access_action(self.request, self) or access.VIEW
        return ImportJob.objects.restrict(self.request.user, act).select_related("created_by")

    def _respond(self, job, code=status.HTTP_200_OK):
        job.refresh_from_db()
        if job.state == ImportJob.State.VALIDATING:
            code = status.HTTP_202_ACCEPTED  # a big file: poll GET /api/imports/{id}/ for the report
        return Response(ImportJobSerializer(job).data, status=code)

    @extend_schema(request={"multipart/form-data": ImportUploadSerializer},
                   responses={201: ImportJobSerializer, 202: ImportJobSerializer},
                   summary="Upload a file: the job with its mapping and validation report (202: being validated)")
    def create(self, request, *args, **kwargs):
        if not services.may_import(request.user):
            raise PermissionDenied("Your role may not import.")
        data = ImportUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            job = services.create_job(request.user, values["file"], values["kind"], mapping=values.get("mapping"))
        except DjangoValidationError as exc:
            raise _drf_error(exc) from None
        try:
            services.validate_when_mapped(job)
        except DjangoValidationError as exc:
            raise _drf_error(exc) from None
        return self._respond(job, status.HTTP_201_CREATED)

    @extend_schema(request=ImportMappingSerializer, responses={200: ImportJobSerializer, 202: ImportJobSerializer},
                   summary="Change the mapping; the rows are validated again (202: in the worker)")
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def mapping(self, request, pk=None):
        job = self.get_object()
        data = ImportMappingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            services.set_mapping(job, values.get("mapping", job.mapping), remember=values["remember"],
                                 shared=values["shared"], user=request.user)
            services.request_validation(job)
        except DjangoValidationError as exc:
            raise _drf_error(exc) from None
        return self._respond(job)

    @extend_schema(request=ImportRunSerializer, responses={202: ImportJobSerializer},
                   summary="Run the import in the worker (all rows or none)")
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def run(self, request, pk=None):
        job = self.get_object()
        data = ImportRunSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            with transaction.atomic():
                if job.state == ImportJob.State.VALIDATING:
                    raise DjangoValidationError("The rows are still being validated: poll the job until it is "
                                                "\"validated\".")
                if job.state != ImportJob.State.VALIDATED:
                    raise DjangoValidationError("Validate the file (a complete mapping) before running the import.")
                if any(key in values for key in ("policy", "overrides", "skip_errors")):
                    services.set_decisions(job, values.get("policy"), values.get("overrides"),
                                           values.get("skip_errors"))
                    if services.validates_inline(job):  # a big file: the run validates it with them
                        services.validate(job)
                services.start(job, request.user)
        except DjangoValidationError as exc:
            raise _drf_error(exc) from None
        return self._respond(job, status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=ImportJobSerializer,
                   summary="Cancel: before the run (or while validating) at once, while running at the next batch")
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def cancel(self, request, pk=None):
        job = self.get_object()
        try:
            services.cancel(job)
        except DjangoValidationError as exc:
            raise _drf_error(exc) from None
        return self._respond(job)


router.register("imports", ImportJobViewSet)
