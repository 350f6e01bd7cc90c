"""API of interactions, tasks, reminders and the user calendar (SPEC §3)."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from clients.api.views import reference_viewset
from clients.models import Counterparty
from core import access
from core.api.views import BaseModelViewSet
from core.models import ConflictError

from ..filtersets import InteractionFilterSet, ReminderFilterSet, TaskFilterSet
from ..models import Interaction, InteractionType, Reminder, Task
from ..services import calendar
from . import serializers

InteractionTypeViewSet = reference_viewset(
    InteractionType, serializers.InteractionTypeSerializer,
    code=django_filters.CharFilter(field_name="code"))


class ClientLinkedViewSet(BaseModelViewSet):
    """Rows carry ``counterparty_visible``: may the caller see their client (one subquery)."""

    def get_queryset(self):
        visible = Counterparty.objects.restrict(self.request.user, access.VIEW).filter(pk=OuterRef("counterparty_id"))
        return super().get_queryset().annotate(counterparty_visible=Exists(visible))


class InteractionViewSet(ClientLinkedViewSet):
    """Calls, meetings, emails, … with a client; filters as in the HTML list (``q``, period, …)."""

    model = Interaction
    serializer_class = serializers.InteractionSerializer
    filterset_class = InteractionFilterSet
    ordering = ("-start",)
    ordering_fields = ("start", "created_at", "id")  # indexed columns only
    select_related = ("type", "counterparty", "basis_type")
    m2m_ids = ("contact_persons",)


class TaskViewSet(ClientLinkedViewSet):
    """Tasks one user gives another; ``?assignee=<me>&state=open`` is "My tasks"."""

    model = Task
    serializer_class = serializers.TaskSerializer
    filterset_class = TaskFilterSet
    ordering = ("deadline",)
    ordering_fields = ("deadline", "created_at", "id")
    select_related = ("counterparty",)


class ReminderViewSet(ClientLinkedViewSet):
    """Reminders at a set time, delivered once in the app and by email (``delivered_at``)."""

    model = Reminder
    serializer_class = serializers.ReminderSerializer
    filterset_class = ReminderFilterSet
    ordering = ("remind_at",)
    ordering_fields = ("remind_at", "created_at", "id")
    select_related = ("counterparty",)


class CalendarViewSet(viewsets.ViewSet):
    """A user's calendar: planned interactions, open tasks and reminders in a period, by time.

    Your own calendar, a direct subordinate's (for their head) or anyone's (heads of sales, the
    company head, administrators); otherwise 403. Events are narrowed by the same access rules
    as every list: a head sees a subordinate's event about a client only if they may see it.
    ``POST /api/calendar/move/`` moves an event to another day, as dragging it does.
    """

    pagination_class = None
    access_action = None  # per action; GET is a view, moving an event a change

    @extend_schema(parameters=[serializers.CalendarQuerySerializer],
                   responses=serializers.CalendarSerializer, summary="Events of a user's calendar")
    def list(self, request):
        query = serializers.CalendarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        owner = request.user
        if "user" in params:
            owner = get_object_or_404(get_user_model().objects.filter(is_active=True), pk=params["user"])
        if not calendar.can_view_calendar(request.user, owner):
            raise PermissionDenied(_("You may open only your own and your subordinates' calendars."))
        filters = calendar.CalendarFilters(
            counterparty=params.get("counterparty"), q=params.get("q", ""),
            types=frozenset(params.get("type", ())), importance=frozenset(params.get("importance", ())),
            include_done=params["include_done"])
        events = calendar.events_for(request.user, owner, params["start"], params["end"], filters)
        return Response({"user": owner.pk, "start": params["start"], "end": params["end"],
                         "events": [event.as_dict() for event in events]})

    @extend_schema(request=serializers.CalendarMoveSerializer, responses=serializers.CalendarEventSerializer,
                   summary="Move an event to another day")
    @action(detail=False, methods=["post"], access_action=access.CHANGE)
    def move(self, request):
        """Keeps the time of day; a meeting's pending reminders move with it. 404 unless you may
        change the event, 400 if it is done / delivered, 409 if ``version`` is stale."""
        body = serializers.CalendarMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            obj = calendar.reschedule(request.user, data["kind"], data["id"], data["version"], data["date"])
        except calendar.NotMovable:
            raise ValidationError({"kind": [_("Only planned events can be moved.")]}) from None
        except ConflictError as exc:
            current = calendar.event_of(request.user, data["kind"], exc.current)
            return Response({"detail": _("The event was changed by someone else; reload it and move it again."),
                             "code": "conflict", "current": current.as_dict()}, status=status.HTTP_409_CONFLICT)
        return Response(calendar.event_of(request.user, data["kind"], obj).as_dict())
