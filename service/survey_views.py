"""Survey pages: questionnaires, rules, invitations and responses, the phone operator screen."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from core import access
from core.views import generic

from . import surveys
from .models import Channel, Survey, SurveyInvitation, SurveyRule
from .survey_forms import (
    AnswerForm,
    InvitationFilterSet,
    InvitationForm,
    InvitationTable,
    QuestionFormSet,
    SurveyFilterSet,
    SurveyForm,
    SurveyRuleFilterSet,
    SurveyRuleForm,
    SurveyRuleTable,
    SurveyTable,
)

# --- Surveys --------------------------------------------------------------------------------------


class SurveyListView(generic.ObjectListView):
    model = Survey
    filterset_class = SurveyFilterSet
    table_class = SurveyTable
    add_url_name = "service:survey_add"


class SurveyDetailView(generic.ObjectDetailView):
    model = Survey
    template_name = "service/survey_detail.html"

    def get_extra_context(self, obj):
        user = self.request.user
        return {"questions": obj.live_questions(), "can_change": access.can(user, access.CHANGE, Survey),
                "progress": surveys.queue_progress(obj, user), "phone": obj.channel == Channel.PHONE,
                "can_call": access.can(user, access.CHANGE, SurveyInvitation),
                "recent": SurveyInvitation.objects.restrict(user).filter(survey=obj, state="answered")
                .select_related("counterparty").order_by("-answered_at")[:20]}


class SurveyEditView(generic.ObjectEditView):
    model = Survey
    form_class = SurveyForm
    template_name = "service/survey_edit.html"
    delete_url_name = "service:survey_delete"
    formsets = {"questions": (QuestionFormSet, "question")}


class SurveyDeleteView(generic.ObjectDeleteView):
    model = Survey
    success_url_name = "service:survey_list"


class SurveyHistoryView(generic.ObjectHistoryView):
    model = Survey
    list_url_name = "service:survey_list"

    def records(self, obj):
        questions = obj.questions.model.history.filter(survey_id=obj.pk).order_by("history_date")[:500]
        return super().records(obj) + list(questions)


# --- Rules ----------------------------------------------------------------------------------------


class RuleListView(generic.ObjectListView):
    model = SurveyRule
    filterset_class = SurveyRuleFilterSet
    table_class = SurveyRuleTable
    add_url_name = "service:surveyrule_add"


class RuleEditView(generic.ObjectEditView):
    model = SurveyRule
    form_class = SurveyRuleForm
    delete_url_name = "service:surveyrule_delete"


class RuleDeleteView(generic.ObjectDeleteView):
    model = SurveyRule
    success_url_name = "service:surveyrule_list"


class RuleHistoryView(generic.ObjectHistoryView):
    model = SurveyRule
    list_url_name = "service:surveyrule_list"


# --- Invitations ----------------------------------------------------------------------------------


class InvitationListView(generic.ObjectListView):
    model = SurveyInvitation
    filterset_class = InvitationFilterSet
    table_class = InvitationTable
    add_url_name = "service:surveyinvitation_add"
    export_name = "survey-invitations"

    def get_base_queryset(self):
        return self.get_queryset().select_related("counterparty", "survey")


class InvitationDetailView(generic.ObjectDetailView):
    model = SurveyInvitation
    template_name = "service/surveyinvitation_detail.html"

    def get_extra_context(self, obj):
        return {"answers": obj.answers.select_related("question").order_by("question__order", "question_id"),
                "can_change": access.can(self.request.user, access.CHANGE, SurveyInvitation)}


class InvitationEditView(generic.ObjectEditView):
    """A new invitation is sent (email) or queued (phone) as it is saved."""

    model = SurveyInvitation
    form_class = InvitationForm
    delete_url_name = "service:surveyinvitation_delete"

    def validate(self, form, formsets):
        obj = form.instance
        if obj.pk:
            return True
        if obj.survey.channel == Channel.EMAIL:
            address = surveys.email_of(obj.counterparty_id, obj.contact_person_id)[0]
        else:
            address = surveys.phone_of(obj.counterparty_id)[0]
        if not address:
            form.add_error("counterparty", _("The client has no address for this survey's channel."))
        return not form.errors

    def save(self, form):
        obj = form.instance
        if obj.pk:
            return form.save()
        made = surveys.invite(obj.survey, obj.counterparty, self.request.user, contact_person=obj.contact_person,
                              site_url=self.request.build_absolute_uri("/"), product=obj.product)
        if obj.operator_id and made.operator_id != obj.operator_id:
            SurveyInvitation.objects.filter(pk=made.pk).update(operator=obj.operator)
        return made


class InvitationDeleteView(generic.ObjectDeleteView):
    model = SurveyInvitation
    success_url_name = "service:surveyinvitation_list"


class InvitationHistoryView(generic.ObjectHistoryView):
    model = SurveyInvitation
    list_url_name = "service:surveyinvitation_list"


# --- The operator screen --------------------------------------------------------------------------


def may_call(user, survey):
    return survey.channel == Channel.PHONE and survey.active and access.can(user, access.CHANGE, SurveyInvitation)


class NextCallView(generic.RestrictedMixin, View):
    """The next client to call for a phone survey (taken for the operator for a while)."""

    model = Survey

    def get(self, request, pk):
        survey = get_object_or_404(self.get_queryset(), pk=pk)
        if not may_call(request.user, survey):
            raise PermissionDenied
        invitation = surveys.claim_next(survey, request.user)
        form = AnswerForm(questions=survey.live_questions(), comment=True) if invitation else None
        return show_call(request, survey, invitation, form)


def show_call(request, survey, invitation, form, status=200):
    context = {"survey": survey, "invitation": invitation, "form": form,
               "progress": surveys.queue_progress(survey, request.user)}
    if invitation is not None:
        context["recent"] = invitation.counterparty.interactions.filter(deleted_at__isnull=True).select_related(
            "type").order_by("-start")[:5]
    return render(request, "service/survey_call.html", context, status=status)


class CallResultView(generic.RestrictedMixin, View):
    """POST from the operator screen: the answers (``result=answered``), or no answer / refused."""

    model = SurveyInvitation

    def post(self, request, pk):
        invitation = get_object_or_404(self.get_queryset(access.CHANGE).select_related(
            "survey", "counterparty", "contact_person"), pk=pk)
        survey = invitation.survey
        if not may_call(request.user, survey):
            raise PermissionDenied
        next_url = reverse("service:survey_call", args=[survey.pk])
        form = AnswerForm(request.POST, questions=survey.live_questions(), comment=True)
        result = request.POST.get("result")
        if not form.is_valid():
            return show_call(request, survey, invitation, form, status=400)
        comment = form.cleaned_data.get("comment", "")
        if result in ("no_answer", "refused"):
            surveys.not_reached(invitation, request.user, refused=result == "refused", comment=comment)
            messages.info(request, _("Saved: %(name)s") % {"name": invitation.counterparty})
            return HttpResponseRedirect(next_url)
        try:
            done = surveys.record_answers(invitation, form.raw(), operator=request.user, comment=comment,
                                          now=timezone.now())
        except ValidationError as exc:
            form.add_errors(exc)
            return show_call(request, survey, invitation, form, status=400)
        if done:
            messages.success(request, _("Saved: %(name)s") % {"name": invitation.counterparty})
        else:
            messages.error(request, _("This client's survey was already answered."))
        return HttpResponseRedirect(next_url)
