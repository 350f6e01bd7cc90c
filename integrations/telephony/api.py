"""Telephony API: ``POST /api/telephony/events/`` for the PBX, ``/api/telephony/calls/`` to read calls.

The events endpoint is for the PBX's integration user: its API token must carry the permission
``integrations.post_call_events`` (administrators have every permission). The call list answers
with the calls the reader may see, like the UI (``Call.own_q``).
"""

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from core.api.router import router as core_router
from core.api.views import BaseModelViewSet
from core.dates import SerializerDateTimeField

from ..models import Call
from . import services
from .filtersets import CallFilterSet

PERMISSION = "integrations.post_call_events"


class CanPostCallEvents(BasePermission):
    """The PBX's user: an active user holding ``integrations.post_call_events``."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.has_perm(PERMISSION))


class CallEventSerializer(serializers.Serializer):
    """One event of a call, as the PBX (or its AMI → HTTP bridge) posts it. See docs/telephony.md."""

    call_id = serializers.CharField(max_length=100, help_text="The PBX's id of the call (e.g. Asterisk's "
                                                              "linkedid), the same in every event of the call.")
    event = serializers.ChoiceField(choices=services.EVENTS, help_text="ringing, answered or ended.")
    direction = serializers.ChoiceField(choices=Call.Direction.values, help_text="in (to the office) or out.")
    extension = serializers.CharField(max_length=32, required=False, allow_blank=True,
                                      help_text="The employee's line (internal number); its user gets the call.")
    user = serializers.CharField(max_length=150, required=False, allow_blank=True,
                                 help_text="Instead of an extension: the employee's user name.")
    at = SerializerDateTimeField(required=False, help_text="When it happened, ISO 8601; default: now.")
    duration = serializers.IntegerField(required=False, min_value=0, max_value=7 * 24 * 3600,
                                        help_text="On ended: talk time in seconds (0 or absent, without an "
                                                  "answer: a missed call).")
    recording_url = serializers.URLField(required=False, allow_blank=True, max_length=500,
                                         help_text="On ended: a link to the recording.")
    answered_by = serializers.CharField(max_length=32, required=False, allow_blank=True,
                                        help_text="On answered / ended: the extension that took the call.")

    def get_fields(self):
        # "from" is a Python keyword: declared here rather than as class attributes.
        fields = super().get_fields()
        fields["from"] = serializers.CharField(max_length=64, help_text="Calling number, any format.")
        fields["to"] = serializers.CharField(max_length=64, help_text="Called number, any format.")
        return fields

    def validate_user(self, value):
        if not value:
            return None
        user = get_user_model().objects.filter(username=value, is_active=True).first()
        if user is None:
            raise serializers.ValidationError(_("No active user “%(name)s”.") % {"name": value})
        return user

    def validate(self, attrs):
        attrs.setdefault("at", timezone.now())
        if attrs["event"] != services.ENDED:
            errors = {name: [_("Only an “ended” event carries this.")]
                      for name in ("duration", "recording_url") if attrs.get(name) not in (None, "")}
            if errors:
                raise serializers.ValidationError(errors)
        for name in ("from", "to", "call_id"):
            if not attrs[name].strip():
                raise serializers.ValidationError({name: [_("This field may not be blank.")]})
        return attrs


class CallSerializer(serializers.ModelSerializer):
    recording_url = serializers.CharField(read_only=True, help_text="A link to the recording, or empty.")

    class Meta:
        model = Call
        fields = ("id", "call_id", "direction", "state", "from_number", "to_number", "number", "counterparty",
                  "contact_person", "extension", "user", "answered_extension", "answered_by", "started_at",
                  "answered_at", "ended_at", "duration", "recording_url", "interaction", "task", "version",
                  "created_at", "updated_at")
        read_only_fields = fields


@extend_schema(tags=["telephony"])
class CallEventViewSet(viewsets.GenericViewSet):
    """Call events from the office PBX (ringing, answered, ended): idempotent by ``call_id`` and the
    event; events may arrive out of order. Needs a token of a user with the permission
    ``integrations.post_call_events``. Answers with the call as it stands after the event."""

    serializer_class = CallEventSerializer
    permission_classes = [CanPostCallEvents]
    pagination_class = None
    filter_backends = []

    @extend_schema(request=CallEventSerializer, responses={200: CallSerializer}, summary="Post a call event")
    def create(self, request):
        event = self.get_serializer(data=request.data)
        event.is_valid(raise_exception=True)
        call = services.record_event(event.validated_data, request.user)
        return Response(CallSerializer(call).data)


@extend_schema(tags=["telephony"])
class CallViewSet(BaseModelViewSet):
    """Calls through the office PBX, read-only (they come from its events). A sales manager sees the
    calls on their line, answered by them or with their clients."""

    model = Call
    serializer_class = CallSerializer
    filterset_class = CallFilterSet
    http_method_names = ["get", "head", "options"]
    ordering_fields = ("id", "started_at")



core_router.register("telephony/events", CallEventViewSet, basename="telephony-event")
core_router.register("telephony/calls", CallViewSet, basename="telephony-call")
