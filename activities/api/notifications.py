"""``/api/notifications/``: the bell of the requesting user, as the notification list page shows it.

Only one's own notifications exist here (another user's is a 404, like on the page). They are
read and marked read, never changed or deleted: the UI cannot dismiss a notification either.
"""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from core import access

from ..filtersets import NotificationFilterSet
from ..models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField(help_text="Marked read (read_at is set).")

    class Meta:
        model = Notification
        fields = ("id", "text", "url", "created_at", "read_at", "read")
        read_only_fields = fields

    def get_read(self, obj) -> bool:
        return obj.read_at is not None


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications were unread and are now read.")


class SignedIn(BasePermission):
    """Every role has a bell: marking one's own notifications read is not a change of business data."""

    def has_permission(self, request, view):
        return access.rule_for(request.user)[0] is not None


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """Your notifications, newest first; ``?read=false`` lists the unread ones. ``POST …/{id}/read/``
    marks one read, ``POST …/read-all/`` all of them; both may be repeated (nothing changes twice)."""

    queryset = Notification.objects.none()  # for the router and the schema: rows come from get_queryset
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet
    permission_classes = [SignedIn]
    ordering = ("-created_at", "-id")
    ordering_fields = ("created_at", "id")
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return Notification.objects.filter(user=self.request.user).order_by(*self.ordering)

    @extend_schema(request=None, responses=NotificationSerializer, summary="Mark a notification read")
    @action(detail=True, methods=["post"], filter_backends=[])
    def read(self, request, pk=None):
        notification = self.get_object()
        if notification.read_at is None:
            # Conditional: a second request (or the page) marking it meanwhile keeps the first time.
            Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
            notification.refresh_from_db(fields=["read_at"])
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=None, responses=ReadAllSerializer, summary="Mark all your notifications read")
    @action(detail=False, methods=["post"], url_path="read-all", filter_backends=[], pagination_class=None)
    def read_all(self, request):
        marked = Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
        return Response({"marked": marked})
