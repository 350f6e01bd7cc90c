"""API of mail intake: mailboxes (administrators; the password is write-only) and incoming letters
(read, plus the review actions)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from clients.models import Counterparty
from core import access
from core.api.serializers import BaseModelSerializer
from core.api.views import BaseModelViewSet

from ..models.mail import IncomingLetter, Mailbox
from . import services
from .filtersets import IncomingLetterFilterSet, MailboxFilterSet


class MailboxSerializer(BaseModelSerializer):
    password = serializers.CharField(write_only=True, required=False, max_length=200,
                                     help_text="Write-only; required when creating, kept when left out.")

    class Meta(BaseModelSerializer.Meta):
        model = Mailbox
        exclude = ("deleted_at", "lease_until")
        read_only_fields = (*BaseModelSerializer.Meta.read_only_fields, "uidvalidity", "last_uid", "polled_at",
                            "last_error")

    def validate(self, attrs):
        if not self.instance and not attrs.get("password"):
            raise ValidationError({"password": [_("Enter the mailbox password.")]})
        return super().validate(attrs)


class MailboxViewSet(BaseModelViewSet):
    """Mailboxes the worker reads over IMAP every two minutes (administrators only)."""

    model = Mailbox
    serializer_class = MailboxSerializer
    filterset_class = MailboxFilterSet
    ordering_fields = ("id", "name")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not access.can_manage_settings(request.user):
            raise PermissionDenied(_("Only administrators manage mailboxes."))


class IncomingLetterSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = IncomingLetter
        exclude = ("deleted_at",)
        read_only_fields = [f.name for f in IncomingLetter._meta.concrete_fields if f.name != "deleted_at"]


class LetterAssignSerializer(serializers.Serializer):
    counterparty = serializers.PrimaryKeyRelatedField(queryset=Counterparty.objects.none())
    remember = serializers.BooleanField(default=False, help_text="Add the sender's address to the client.")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counterparty"].queryset = Counterparty.objects.restrict(user, access.CHANGE)


class IncomingLetterViewSet(BaseModelViewSet):
    """Letters taken from the mailboxes. A sales manager sees the letters of their clients and of the
    mailboxes they own or handle. ``assign`` attaches a letter waiting for review to a client (an
    incoming email interaction), ``ignore`` sets it aside."""

    model = IncomingLetter
    serializer_class = IncomingLetterSerializer
    filterset_class = IncomingLetterFilterSet
    select_related = ("mailbox",)
    ordering_fields = ("id", "received_at")
    http_method_names = ["get", "head", "options", "post", "delete"]

    def create(self, request, *args, **kwargs):
        raise PermissionDenied(_("Letters come from the mailboxes only."))

    @extend_schema(request=LetterAssignSerializer, responses=IncomingLetterSerializer, summary="Attach to a client")
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def assign(self, request, pk=None):
        letter = self.get_object()
        data = LetterAssignSerializer(data=request.data, user=request.user)
        data.is_valid(raise_exception=True)
        try:
            letter = services.assign(letter, data.validated_data["counterparty"], request.user,
                                     remember=data.validated_data["remember"])
        except services.ReviewError as exc:
            raise ValidationError({"state": [str(exc)]}) from exc
        return Response(self.get_serializer(letter).data)

    @extend_schema(request=None, responses=IncomingLetterSerializer, summary="Ignore a letter waiting for review")
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def ignore(self, request, pk=None):
        try:
            letter = services.ignore(self.get_object())
        except services.ReviewError as exc:
            raise ValidationError({"state": [str(exc)]}) from exc
        return Response(self.get_serializer(letter).data)
