"""Telemarketing API: call scripts and their questions, call lists (fill, next call) and their
entries, with ``POST /api/call-list-entries/{id}/result/`` to record a call."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core import access
from core.api.exceptions import drf_validation_error
from core.api.serializers import BaseModelSerializer
from core.api.views import BaseModelViewSet
from core.dates import SerializerDateTimeField
from core.filtersets import BaseFilterSet
from core.models import ConflictError

from .. import call_lists
from ..call_forms import CallListFilterSet, EntryFilterSet
from ..models import CallList, CallListEntry, CallQuestion, CallScript

# --- Serializers ----------------------------------------------------------------------------------


class CallQuestionSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = CallQuestion


class CallScriptSerializer(BaseModelSerializer):
    questions = serializers.SerializerMethodField(help_text="The live questions, in order.")

    class Meta(BaseModelSerializer.Meta):
        model = CallScript

    def get_questions(self, obj) -> list[dict]:
        return [{"id": q.pk, "order": q.order, "text": q.text, "kind": q.kind, "options": q.choices(),
                 "required": q.required} for q in obj.live_questions()]


class StateCountSerializer(serializers.Serializer):
    state = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    percent = serializers.IntegerField()


class ProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    done = serializers.IntegerField(help_text="Reached, refused, or no answer after every attempt.")
    gave_up = serializers.IntegerField()
    due = serializers.IntegerField(help_text="Entries an operator could be given now.")
    percent = serializers.IntegerField()
    rows = StateCountSerializer(many=True)


class CallListSerializer(BaseModelSerializer):
    progress = serializers.SerializerMethodField(help_text="Counts per state of the entries the caller sees.")

    class Meta(BaseModelSerializer.Meta):
        model = CallList
        read_only_fields = (*BaseModelSerializer.Meta.read_only_fields, "filled_at", "skipped")

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, obj) -> dict:
        return ProgressSerializer(call_lists.progress(obj, self.user)).data

    def validate(self, attrs):
        instance = self.instance
        if instance is not None and instance.filled_at:
            for name in ("segment", "group"):
                if name in attrs and attrs[name] != getattr(instance, name):
                    raise serializers.ValidationError({name: ["The list was filled from its source: it stays."]})
        return super().validate(attrs)


class CallListEntrySerializer(BaseModelSerializer):
    counterparty_name = serializers.CharField(source="counterparty.name", read_only=True)
    contact_person_name = serializers.CharField(source="contact_person.full_name", read_only=True, allow_null=True)

    class Meta(BaseModelSerializer.Meta):
        model = CallListEntry
        read_only_fields = (*BaseModelSerializer.Meta.read_only_fields, "state", "call_back_at", "attempts",
                            "answers", "comment", "interaction", "operator", "claimed_until", "last_result_at")


class CallResultSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=[(s, CallListEntry.State(s).label) for s in CallListEntry.RESULTS])
    answers = serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=2000), required=False,
                                    help_text='By question id: {"12": "text", "13": "yes", "14": "an option"}.')
    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    call_back_at = SerializerDateTimeField(required=False, allow_null=True,
                                             help_text="Required for call_back: a time in the future.")


class FillResultSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Clients of the source without a phone.")


# --- Viewsets -------------------------------------------------------------------------------------

class CallScriptViewSet(BaseModelViewSet):
    """Call scripts: marketers, heads and administrators keep them; everyone reads."""

    model = CallScript
    serializer_class = CallScriptSerializer


class CallQuestionFilterSet(BaseFilterSet):
    script = django_filters.NumberFilter(field_name="script_id")

    class Meta:
        model = CallQuestion
        fields = []


class CallQuestionViewSet(BaseModelViewSet):
    """The questions of the call scripts (``kind``: text, yes_no, choice with ``options`` one per line)."""

    model = CallQuestion
    serializer_class = CallQuestionSerializer
    filterset_class = CallQuestionFilterSet


class CallListViewSet(BaseModelViewSet):
    """Call lists. A new list is filled from its segment or mailing group; ``…/fill/`` adds the
    source's newcomers; ``…/next/`` gives the caller the next call (204: none due)."""

    model = CallList
    serializer_class = CallListSerializer
    filterset_class = CallListFilterSet
    ordering_fields = ("id", "created_at")

    def perform_create(self, serializer):
        super().perform_create(serializer)
        call_lists.fill(serializer.instance, self.request.user)

    @extend_schema(request=None, responses=FillResultSerializer, summary="Add the source's new clients")
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def fill(self, request, pk=None):
        added, skipped = call_lists.fill(self.get_object(), request.user)
        return Response({"added": added, "skipped": skipped})

    @extend_schema(request=None, responses={200: CallListEntrySerializer, 204: None}, summary="Take the next call")
    @action(detail=True, methods=["post"], access_action=access.VIEW, filter_backends=[])
    def next(self, request, pk=None):
        call_list = self.get_object()
        if not call_lists.may_call(call_list, request.user):
            raise PermissionDenied("Only the list's operators and editors call, and only on an active list.")
        entry = call_lists.claim_next(call_list, request.user)
        if entry is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(CallListEntrySerializer(entry, context=self.get_serializer_context()).data)


class CallListEntryFilterSet(EntryFilterSet):
    call_list = django_filters.NumberFilter(field_name="call_list_id")
    counterparty = django_filters.NumberFilter(field_name="counterparty_id")

    class Meta(EntryFilterSet.Meta):
        pass


CONFLICT = inline_serializer("CallConflict", {
    "detail": serializers.CharField(), "code": serializers.CharField(),
    "current": CallListEntrySerializer(help_text="The entry as it is now.")})


class CallListEntryViewSet(BaseModelViewSet):
    """Entries of the call lists; a sales manager sees their clients' entries and results only.
    ``…/result/`` records a call (an outgoing-call interaction is saved with it)."""

    model = CallListEntry
    serializer_class = CallListEntrySerializer
    filterset_class = CallListEntryFilterSet
    select_related = ("counterparty", "contact_person")

    @extend_schema(request=CallResultSerializer, responses={200: CallListEntrySerializer, 409: CONFLICT},
                   summary="Record a call's result")
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def result(self, request, pk=None):
        entry = self.get_object()
        if not call_lists.may_call(entry.call_list, request.user):
            raise PermissionDenied("Only the list's operators and editors call, and only on an active list.")
        params = CallResultSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            call_lists.record_result(entry, request.user, data["result"], answers=data.get("answers"),
                                     comment=data.get("comment", ""), call_back_at=data.get("call_back_at"))
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from None
        except ConflictError as exc:
            current = self.get_serializer(exc.current).data
            return Response({"detail": "Someone else took this call meanwhile.", "code": "conflict",
                             "current": current}, status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(entry).data)
