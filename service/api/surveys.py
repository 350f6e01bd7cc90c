"""Survey API: questionnaires and their questions, rules, invitations with their responses.

``POST /api/survey-invitations/`` invites a client (an email goes out at once, a phone one joins
the queue); ``POST /api/survey-invitations/{id}/respond/`` records the answers (once: a second
response is 409)."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core import access
from core.api.exceptions import drf_validation_error
from core.api.serializers import BaseModelSerializer
from core.api.views import BaseModelViewSet
from core.filtersets import BaseFilterSet

from .. import surveys
from ..models import Answer, Channel, Question, Survey, SurveyInvitation, SurveyRule
from ..survey_forms import InvitationFilterSet, SurveyFilterSet, SurveyRuleFilterSet


class QuestionSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = Question


class SurveySerializer(BaseModelSerializer):
    questions = serializers.SerializerMethodField(help_text="The live questions, in order.")

    class Meta(BaseModelSerializer.Meta):
        model = Survey

    def get_questions(self, obj) -> list[dict]:
        return [{"id": q.pk, "order": q.order, "text": q.text, "kind": q.kind, "options": q.choices(),
                 "required": q.required} for q in obj.live_questions()]


class SurveyRuleSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = SurveyRule


class AnswerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Answer
        fields = ("question", "number", "choices", "text")


class SurveyInvitationSerializer(BaseModelSerializer):
    counterparty_name = serializers.CharField(source="counterparty.name", read_only=True)
    answers = AnswerSerializer(many=True, read_only=True)

    class Meta(BaseModelSerializer.Meta):
        model = SurveyInvitation
        read_only_fields = (*BaseModelSerializer.Meta.read_only_fields, "channel", "address", "state", "sent_at",
                            "expires_at", "answered_at", "claimed_until", "attempts", "comment", "rule", "period",
                            "interaction")

    def validate(self, attrs):
        if self.instance is not None:
            for name in ("survey", "counterparty"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    raise serializers.ValidationError({name: ["An invitation keeps its survey and client."]})
            return super().validate(attrs)
        survey, client = attrs.get("survey"), attrs.get("counterparty")
        if survey is not None and not survey.active:
            raise serializers.ValidationError({"survey": ["The survey is not active."]})
        if survey is not None and client is not None:
            person = attrs.get("contact_person")
            found = surveys.email_of(client.pk, person.pk if person else None)[0] if survey.channel == Channel.EMAIL \
                else surveys.phone_of(client.pk)[0]
            if not found:
                raise serializers.ValidationError({"counterparty": ["The client has no address for this channel."]})
        return super().validate(attrs)


class RespondSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.JSONField(), help_text='By question id: {"12": 5, "13": "an option", "14": ["a", "b"], '
                                                 '"15": "text"}.')
    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class QuestionFilterSet(BaseFilterSet):
    survey = django_filters.NumberFilter(field_name="survey_id")

    class Meta:
        model = Question
        fields = []


class InvitationApiFilterSet(InvitationFilterSet):
    counterparty = django_filters.NumberFilter(field_name="counterparty_id")

    class Meta(InvitationFilterSet.Meta):
        pass


class SurveyViewSet(BaseModelViewSet):
    """Questionnaires: quality specialists, marketers, heads and administrators keep them."""

    model = Survey
    serializer_class = SurveySerializer
    filterset_class = SurveyFilterSet


class QuestionViewSet(BaseModelViewSet):
    """Survey questions (``kind``: rating 1–5, nps 0–10, single, multiple with ``options``, text)."""

    model = Question
    serializer_class = QuestionSerializer
    filterset_class = QuestionFilterSet


class SurveyRuleViewSet(BaseModelViewSet):
    """Rules that start a survey every month or quarter for new or regular clients."""

    model = SurveyRule
    serializer_class = SurveyRuleSerializer
    filterset_class = SurveyRuleFilterSet


ALREADY = inline_serializer("SurveyAlreadyAnswered", {"detail": serializers.CharField(),
                                                      "code": serializers.CharField()})


class SurveyInvitationViewSet(BaseModelViewSet):
    """Invitations and their responses; a sales manager sees their own clients' only."""

    model = SurveyInvitation
    serializer_class = SurveyInvitationSerializer
    filterset_class = InvitationApiFilterSet
    select_related = ("counterparty",)
    prefetch_related = ("answers",)

    def perform_create(self, serializer):
        data = serializer.validated_data
        made = surveys.invite(data["survey"], data["counterparty"], self.request.user,
                              contact_person=data.get("contact_person"),
                              site_url=self.request.build_absolute_uri("/"), product=data.get("product"))
        if data.get("operator") and made.operator_id != data["operator"].pk:
            SurveyInvitation.objects.filter(pk=made.pk).update(operator=data["operator"])
            made.refresh_from_db()
        serializer.instance = made

    @extend_schema(request=RespondSerializer, responses={200: SurveyInvitationSerializer, 409: ALREADY},
                   summary="Record the response")
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def respond(self, request, pk=None):
        invitation = self.get_object()
        params = RespondSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        operator = request.user if invitation.channel == Channel.PHONE else None
        try:
            done = surveys.record_answers(invitation, params.validated_data["answers"], operator=operator,
                                          comment=params.validated_data.get("comment", ""))
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from None
        if not done:
            return Response({"detail": "The invitation was already answered, or is no longer open.",
                             "code": "closed"}, status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(invitation).data)
