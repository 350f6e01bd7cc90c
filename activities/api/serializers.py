import datetime as dt

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from clients.models import Counterparty
from core import access
from core.api.serializers import BaseModelSerializer
from core.dates import SerializerDateField, SerializerDateTimeField
from core.filtersets import MAX_ID

from ..filtersets import day_start
from ..models import Importance, Interaction, InteractionType, Reminder, Task


class InteractionTypeSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = InteractionType


class ClientLinkedSerializer(BaseModelSerializer):
    """A row about a client that its user may not see: a task a colleague gave them about the
    colleague's client, a meeting a head made them responsible for. They work with the row, but
    the client's name stays hidden, and sending back its current links (PUT) is not refused."""

    keep_current = ("counterparty",)
    counterparty_name = serializers.SerializerMethodField(
        help_text="The client's name; null when there is none or you may not see it.")

    @extend_schema_field({"type": "string", "nullable": True})
    def get_counterparty_name(self, obj):
        if obj.counterparty_id is None:
            return None
        visible = getattr(obj, "counterparty_visible", None)  # annotated by the viewset's queryset
        if visible is None:
            visible = Counterparty.objects.restrict(self.user, access.VIEW).filter(pk=obj.counterparty_id).exists()
        return obj.counterparty.name if visible else None

    def get_fields(self):
        fields = super().get_fields()
        if not isinstance(self.instance, models.Model):
            return fields
        for name in self.keep_current:
            field = fields.get(name)
            target = getattr(field, "child_relation", field)
            if field is None or field.read_only or getattr(target, "queryset", None) is None:
                continue
            current = getattr(self.instance, name)
            ids = [o.pk for o in current.all()] if hasattr(current, "all") else [current.pk] if current else []
            if ids:
                target.queryset = target.queryset | target.queryset.model._default_manager.filter(pk__in=ids)
        return fields

    def update(self, instance, validated_data):
        instance = super().update(instance, validated_data)
        instance.__dict__.pop("counterparty_visible", None)  # the client may have changed
        return instance


class InteractionSerializer(ClientLinkedSerializer):
    assign_fields = ("responsible",)
    keep_current = ("counterparty", "contact_persons")
    type_code = serializers.CharField(source="type.code", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True, help_text="Planned and its start has passed.")
    basis = serializers.SerializerMethodField(
        help_text='What the interaction is based on, e.g. {"type": "sales.deal", "id": 5}; read-only.')

    class Meta(BaseModelSerializer.Meta):
        model = Interaction
        # The generic basis link is set by the deal / order / complaint that creates the
        # interaction, not typed in by hand; it is shown read-only below.
        exclude = (*BaseModelSerializer.Meta.exclude, "basis_type", "basis_id")
        extra_kwargs = {"responsible": {"required": False, "help_text": "Default: you."}}

    @extend_schema_field({"type": "object", "nullable": True,
                          "properties": {"type": {"type": "string"}, "id": {"type": "integer"}}})
    def get_basis(self, obj):
        if not obj.basis_type_id:
            return None
        ct = obj.basis_type  # ContentType caches by id: no query per row after the first
        return {"type": f"{ct.app_label}.{ct.model}", "id": obj.basis_id}

    def validate(self, attrs):
        if self.instance is None:
            attrs.setdefault("responsible", self.user)
        attrs = super().validate(attrs)
        # The model cannot check the M2M (it is saved after the row), so the API does, as the form.
        counterparty = attrs.get("counterparty") or getattr(self.instance, "counterparty", None)
        if "contact_persons" in attrs:
            persons = attrs["contact_persons"]
        elif self.instance is not None and "counterparty" in attrs:
            persons = list(self.instance.contact_persons.all())
        else:
            persons = []
        foreign = [p for p in persons if counterparty is not None and p.counterparty_id != counterparty.pk]
        if foreign:
            raise serializers.ValidationError({"contact_persons": [
                _("%(person)s works for another counterparty.") % {"person": p} for p in foreign]})
        return attrs


class TaskSerializer(ClientLinkedSerializer):
    is_overdue = serializers.BooleanField(read_only=True, help_text="Open and its deadline has passed.")

    class Meta(BaseModelSerializer.Meta):
        model = Task
        exclude = (*BaseModelSerializer.Meta.exclude, "overdue_notified_at")
        read_only_fields = (*BaseModelSerializer.Meta.read_only_fields, "author", "completed_at")

    def validate(self, attrs):
        if self.instance is None:
            # The author is whoever gives the task; set before the model validation runs.
            attrs["author"] = self.user
        return super().validate(attrs)


class ReminderSerializer(ClientLinkedSerializer):
    assign_fields = ("user",)
    keep_current = ("counterparty", "interaction")

    class Meta(BaseModelSerializer.Meta):
        model = Reminder
        read_only_fields = (*BaseModelSerializer.Meta.read_only_fields, "kind")
        extra_kwargs = {"user": {"required": False, "help_text": "Default: you."}}

    def validate(self, attrs):
        if self.instance is None:
            attrs.setdefault("user", self.user)
        attrs = super().validate(attrs)
        interaction = attrs.get("interaction", getattr(self.instance, "interaction", None))
        if interaction is not None:
            if "counterparty" not in attrs and self.instance is None and Counterparty.objects.restrict(
                    self.user, access.VIEW).filter(pk=interaction.counterparty_id).exists():
                attrs["counterparty"] = interaction.counterparty
                self._validated_instance.counterparty = interaction.counterparty
            counterparty = attrs.get("counterparty", getattr(self.instance, "counterparty", None))
            if counterparty is not None and counterparty.pk != interaction.counterparty_id:
                raise serializers.ValidationError({"interaction": [
                    _("The interaction is with another counterparty.")]})
        if self.instance is None:
            kind = Reminder.Kind.INTERACTION if interaction is not None else Reminder.Kind.MANUAL
            self._validated_instance.kind = kind
        return attrs




# --- Calendar ----------------------------------------------------------------------------------

CALENDAR_MAX_DAYS = 400  # a year and a bit: the events of one request stay bounded
EVENT_KINDS = ("interaction", "task", "reminder")
EVENT_KIND_CHOICES = [(k, k) for k in EVENT_KINDS]  # named in SPECTACULAR_SETTINGS (enum collision)


class CalendarQuerySerializer(serializers.Serializer):
    """Query parameters of /api/calendar/."""

    user = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID,
                                    help_text="Whose calendar (user id); default: yours.")
    start = SerializerDateTimeField(
        required=False,
        help_text="Period start, ISO 8601 date or date-time; default: today 00:00.")
    end = SerializerDateTimeField(
        required=False,
        help_text="Period end, exclusive (a date means its 00:00); default: start + 7 days.")
    counterparty = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID,
                                            help_text="Only events about this client.")
    q = serializers.CharField(required=False, allow_blank=True, help_text="Client quick search.")
    type = serializers.ListField(
        child=serializers.CharField(), required=False,
        help_text='Event types: "interaction", "interaction:<type id>", "task", "reminder" (repeatable).')
    importance = serializers.ListField(child=serializers.ChoiceField(choices=Importance.choices),
                                       required=False, help_text="high, normal, low (repeatable).")
    include_done = serializers.BooleanField(required=False, default=False,
                                            help_text="Also done interactions and tasks.")

    def validate_type(self, value):
        for item in value:
            kind, _sep, sub = item.partition(":")
            if kind not in EVENT_KINDS or (sub and not (kind == "interaction" and sub.isdigit())):
                raise serializers.ValidationError(_("Unknown event type “%(type)s”.") % {"type": item})
        return value

    def validate(self, attrs):
        start = attrs.get("start") or day_start(timezone.localdate())
        end = attrs.get("end") or start + dt.timedelta(days=7)
        if end <= start:
            raise serializers.ValidationError({"end": [_("The end must be after the start.")]})
        if end - start > dt.timedelta(days=CALENDAR_MAX_DAYS):
            raise serializers.ValidationError({"end": [
                _("At most %(days)s days at a time.") % {"days": CALENDAR_MAX_DAYS}]})
        return {**attrs, "start": start, "end": end}


class CalendarCounterpartySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CalendarEventSerializer(serializers.Serializer):
    """One event as activities.services.calendar.Event.as_dict() gives it."""

    kind = serializers.ChoiceField(choices=EVENT_KIND_CHOICES)
    id = serializers.IntegerField()
    version = serializers.IntegerField(allow_null=True, help_text="For a change via its own endpoint.")
    title = serializers.CharField()
    time = serializers.DateTimeField(help_text="Start, deadline or reminder time.")
    end = serializers.DateTimeField(allow_null=True)
    importance = serializers.ChoiceField(choices=Importance.choices)
    active = serializers.BooleanField(help_text="Still to happen: planned, open or not delivered.")
    status = serializers.ChoiceField(choices=[(s, s) for s in ("overdue", "today", "later", "past")],
                                     help_text="overdue (red), today (black), later (grey), past (done).")
    type = serializers.CharField(help_text='"interaction:<type id>", "task" or "reminder".')
    type_name = serializers.CharField()
    counterparty = CalendarCounterpartySerializer(allow_null=True,
                                                  help_text="Only if the viewer may see the client.")
    url = serializers.CharField(help_text="Edit page of the event.")
    client_url = serializers.CharField()
    movable = serializers.BooleanField(help_text="The viewer may reschedule it.")


@extend_schema_serializer(many=False)  # GET /api/calendar/ (the "list" action) returns one object
class CalendarSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    events = CalendarEventSerializer(many=True)


class CalendarMoveSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EVENT_KIND_CHOICES)
    id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    version = serializers.IntegerField(min_value=1, max_value=MAX_ID,
                                       help_text="The version the move is based on (409 if stale).")
    date = SerializerDateField(help_text="The new day; the local time of day stays.")
