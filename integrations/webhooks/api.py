"""Webhooks in the API: ``/api/webhooks/`` (subscriptions, CRUD, ``regenerate-secret``) and
``/api/webhook-deliveries/`` (the delivery log, read-only, with ``resend``). Administrators only
(``access.can_manage_settings``); everyone else gets 403."""

import json

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from core import access
from core.api.serializers import BaseModelSerializer
from core.api.views import BaseModelViewSet

from ..models.webhooks import Event, WebhookAttempt, WebhookDelivery, WebhookSubscription, can_allow_private, new_secret
from . import sender
from .filtersets import DeliveryFilterSet, SubscriptionFilterSet


class ManagesSettings(BasePermission):
    """Only settings managers, for reading too: subscriptions hold secrets, deliveries every client's data."""

    def has_permission(self, request, view):
        return access.can_manage_settings(request.user)


class SubscriptionSerializer(BaseModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=Event.choices), allow_empty=False,
                                   help_text="Event names, e.g. [\"client.created\", \"deal.won\"].")
    secret = serializers.SerializerMethodField(
        help_text="The signing secret: only in the answer to the create and regenerate-secret requests, "
                  "null everywhere else. Keep it; it is not shown again.")
    secret_hint = serializers.CharField(read_only=True, help_text="The secret's last characters.")

    class Meta(BaseModelSerializer.Meta):
        model = WebhookSubscription
        exclude = ("deleted_at",)
        extra_kwargs = {"allow_private": {"help_text": "Reach loopback / private / link-local targets: "
                                                       "only an administrator may set it."}}

    def get_secret(self, obj) -> str | None:
        return obj.secret if self.context.get("show_secret") else None

    def validate_allow_private(self, value):
        current = self.instance.allow_private if self.instance is not None else False
        if value != current and not can_allow_private(self.user):
            raise serializers.ValidationError(_("Only an administrator may allow private network targets."))
        return value


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ("number", "started_at", "duration_ms", "address", "status_code", "response_body", "error")


class DeliverySerializer(serializers.ModelSerializer):
    # A plain string here: the event names are the enum of ``/api/webhooks/``'s ``events``.
    event = serializers.CharField(read_only=True, help_text="The event name, e.g. \"deal.won\".")
    payload = serializers.SerializerMethodField(help_text="The JSON that is (or was) POSTed.")
    tries = AttemptSerializer(source="attempt_log", many=True, read_only=True,
                              help_text="Every try, oldest first: response code and the start of the body, "
                                        "or the error.")

    class Meta:
        model = WebhookDelivery
        fields = ("id", "key", "subscription", "event", "event_id", "object_id", "state", "attempts",
                  "next_attempt_at", "created_at", "delivered_at", "last_status", "last_error", "payload", "tries")
        read_only_fields = fields

    def get_payload(self, obj) -> dict:
        try:
            return json.loads(obj.body)
        except ValueError:
            return {}


class SubscriptionViewSet(BaseModelViewSet):
    """Webhook subscriptions: the target URL, the events and the signing secret (returned once)."""

    model = WebhookSubscription
    serializer_class = SubscriptionSerializer
    filterset_class = SubscriptionFilterSet
    permission_classes = [ManagesSettings]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        data = self.get_serializer(serializer.instance, context={**self.get_serializer_context(),
                                                                 "show_secret": True}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=SubscriptionSerializer,
                   summary="Generate a new signing secret (returned in this answer only)")
    @action(detail=True, methods=["post"], url_path="regenerate-secret", access_action=access.CHANGE,
            filter_backends=[])
    def regenerate_secret(self, request, pk=None):
        obj = self.get_object()
        obj.secret = new_secret()
        obj._history_user = request.user
        with transaction.atomic():
            obj.save()
        return Response(self.get_serializer(obj, context={**self.get_serializer_context(), "show_secret": True}).data)


class DeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """The delivery log: every event sent (or to be sent) to a webhook, with its tries."""

    model = WebhookDelivery
    queryset = WebhookDelivery.objects.none()  # for the router and the schema; rows come from restrict()
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilterSet
    permission_classes = [ManagesSettings]
    ordering = ("-created_at",)
    ordering_fields = ("id", "created_at")
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return (WebhookDelivery.objects.restrict(self.request.user, access.VIEW)
                .prefetch_related("attempt_log"))

    @extend_schema(request=None, responses={202: DeliverySerializer},
                   summary="Send a delivered or failed delivery again (400 while it is still queued)")
    @action(detail=True, methods=["post"], filter_backends=[])
    def resend(self, request, pk=None):
        delivery = self.get_object()
        if not sender.resend(delivery):
            raise serializers.ValidationError({"state": [_("The delivery is already waiting to be sent.")]})
        delivery.refresh_from_db()
        return Response(self.get_serializer(delivery).data, status=status.HTTP_202_ACCEPTED)
