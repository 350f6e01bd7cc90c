"""API of the bank statements: upload (multipart), the log, and the review list's actions."""

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from core import access
from core.filtersets import BaseFilterSet
from sales.models import Order

from ..models import BankStatement, BankStatementLine
from . import statements
from .clientbank import StatementError


class BankStatementSerializer(serializers.ModelSerializer):
    class Meta:
        model = BankStatement
        fields = ("id", "file_name", "uploaded_by", "uploaded_at", "encoding", "format_version", "sender", "accounts",
                  "date_from", "date_to", "documents", "incoming", "outgoing", "matched", "review", "duplicates")
        read_only_fields = fields


class BankStatementUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A 1CClientBankExchange text file (Windows-1251 or DOS), at most 10 MB.")


class BankStatementLineSerializer(serializers.ModelSerializer):
    counterparty_name = serializers.CharField(source="counterparty.name", read_only=True, allow_null=True,
                                              default=None)
    candidates = serializers.SerializerMethodField(help_text="Candidate orders offered for review (those you may see).")

    class Meta:
        model = BankStatementLine
        fields = ("id", "statement", "line_no", "number", "date", "received_on", "amount", "payer_name", "payer_inn",
                  "payer_kpp", "payer_account", "purpose", "state", "reason", "counterparty", "counterparty_name",
                  "invoice", "order", "payment", "candidates", "resolved_by", "resolved_at")
        read_only_fields = fields

    def get_candidates(self, obj) -> list[int]:
        request = self.context.get("request")
        user = request.user if request is not None else None
        return list(obj.candidates.restrict(user).values_list("pk", flat=True))


class AssignSerializer(serializers.Serializer):
    order = serializers.PrimaryKeyRelatedField(queryset=Order.objects.none(),
                                               help_text="The order to register the payment on (one you may change).")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")  # none when the schema is generated
        if request is not None:
            self.fields["order"].queryset = (Order.objects.restrict(request.user, access.CHANGE)
                                             .exclude(state=Order.State.FAILED))


class LineFilterSet(BaseFilterSet):
    state = django_filters.ChoiceFilter(choices=BankStatementLine.State.choices)
    statement = django_filters.NumberFilter(field_name="statement_id")
    counterparty = django_filters.NumberFilter(field_name="counterparty_id")

    class Meta:
        model = BankStatementLine
        fields = []


class BankStatementViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Bank statements loaded from ``1CClientBankExchange`` files, with their counts. Heads and
    administrators upload (multipart ``file``); a file with any error is refused whole (400, every
    message naming its line and field) and nothing is stored. Each incoming payment is registered
    once, however often the file is loaded."""

    model = BankStatement
    queryset = BankStatement.objects.none()  # for the router and the schema: rows come from restrict()
    serializer_class = BankStatementSerializer
    parser_classes = [MultiPartParser]
    ordering = ("-pk",)
    ordering_fields = ("id", "uploaded_at")
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return BankStatement.objects.restrict(self.request.user).order_by("-pk")

    @extend_schema(request={"multipart/form-data": BankStatementUploadSerializer},
                   responses={201: BankStatementSerializer}, summary="Upload a bank statement")
    def create(self, request, *args, **kwargs):
        upload = BankStatementUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        if file.size > statements.MAX_FILE_SIZE:
            raise serializers.ValidationError({"file": [_("The file is larger than 10 MB.")]})
        try:
            log = statements.load(file.name, file.read(), request.user)
        except StatementError as exc:
            raise serializers.ValidationError({"file": exc.messages}) from None
        return Response(self.get_serializer(log).data, status=status.HTTP_201_CREATED)


def review_action(summary, request=None):
    return extend_schema(request=request, responses={200: BankStatementLineSerializer}, summary=summary)


class BankStatementLineViewSet(viewsets.ReadOnlyModelViewSet):
    """Incoming payments of the bank statements: registered automatically, waiting for review,
    registered by a user or ignored. A sales manager sees the payments of their own clients (the
    payer found by tax id, the order it went to, or a candidate order) and resolves them; heads and
    administrators see and resolve all, the other roles read. Filters: ``state``, ``statement``,
    ``counterparty``."""

    model = BankStatementLine
    access_action = None  # set per extra action; otherwise derived from the HTTP method
    queryset = BankStatementLine.objects.none()
    serializer_class = BankStatementLineSerializer
    filterset_class = LineFilterSet
    ordering = ("-pk",)
    ordering_fields = ("id", "date")
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        act = access.CHANGE if self.action in ("assign", "ignore", "reopen") else access.VIEW
        return (BankStatementLine.objects.restrict(self.request.user, act)
                .select_related("counterparty").order_by("-pk"))

    def _act(self, request, change, line=None):
        line = line or self.get_object()
        try:
            line = change(line)
        except statements.ReviewError as exc:
            raise serializers.ValidationError({"state": exc.messages}) from None
        return Response(self.get_serializer(line).data)

    @review_action("Register the payment on an order", request=AssignSerializer)
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def assign(self, request, pk=None):
        line = self.get_object()
        body = AssignSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        order = body.validated_data["order"]
        return self._act(request, lambda ln: statements.assign(ln, order, request.user), line)

    @review_action("Ignore the payment (not a client's payment)")
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def ignore(self, request, pk=None):
        return self._act(request, lambda line: statements.ignore(line, request.user))

    @review_action("Put an ignored payment back to review")
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def reopen(self, request, pk=None):
        return self._act(request, lambda line: statements.reopen(line, request.user))


def register():
    from core.api.router import router

    router.register("bank-statements", BankStatementViewSet)
    router.register("bank-statement-lines", BankStatementLineViewSet)

