"""The public survey page: a client answers by the signed link in the invitation, without a login.

One response per link: the claim is a conditional UPDATE (see service.surveys.record_answers), so a
second submit, even a concurrent one, shows "already answered". A tampered or unknown link is a
404 page; an expired one says so.
"""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from . import surveys
from .survey_forms import AnswerForm

TEMPLATE = "service/survey_public.html"


class AnswerView(View):
    def dispatch(self, request, token):
        try:
            invitation, expired = surveys.invitation_for_token(token)
        except surveys.LinkInvalid:
            return render(request, TEMPLATE, {"page": "invalid"}, status=404)
        if invitation.state == invitation.State.ANSWERED:
            return render(request, TEMPLATE, {"page": "answered", "survey": invitation.survey})
        if expired or invitation.state != invitation.State.SENT or not invitation.survey.active:
            return render(request, TEMPLATE, {"page": "expired", "survey": invitation.survey}, status=410)
        return super().dispatch(request, invitation)

    def get(self, request, invitation):
        return self.show(request, invitation, AnswerForm(questions=invitation.survey.live_questions()))

    def post(self, request, invitation):
        survey = invitation.survey
        form = AnswerForm(request.POST, questions=survey.live_questions())
        if form.is_valid():
            try:
                done = surveys.record_answers(invitation, form.raw())
            except ValidationError as exc:
                form.add_errors(exc)
            else:
                page = "thanks" if done else "answered"
                return render(request, TEMPLATE, {"page": page, "survey": survey})
        return self.show(request, invitation, form, status=400)

    def show(self, request, invitation, form, status=200):
        return render(request, TEMPLATE, {"page": "form", "survey": invitation.survey, "form": form,
                                          "invitation": invitation, "title": _("Survey")}, status=status)
