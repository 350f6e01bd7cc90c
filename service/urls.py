from django.urls import path

from core.routes import crud_urls

app_name = "service"

urlpatterns = []

from . import survey_views as sv  # noqa: E402  (surveys: questionnaires, rules, invitations, calls)

urlpatterns += [
    *crud_urls("surveys", "survey", list=sv.SurveyListView, detail=sv.SurveyDetailView, edit=sv.SurveyEditView,
               delete=sv.SurveyDeleteView, history=sv.SurveyHistoryView),
    path("surveys/<int:pk>/call/", sv.NextCallView.as_view(), name="survey_call"),
    *crud_urls("survey-rules", "surveyrule", list=sv.RuleListView, edit=sv.RuleEditView, delete=sv.RuleDeleteView,
               history=sv.RuleHistoryView),
    *crud_urls("survey-invitations", "surveyinvitation", list=sv.InvitationListView, detail=sv.InvitationDetailView,
               edit=sv.InvitationEditView, delete=sv.InvitationDeleteView, history=sv.InvitationHistoryView),
    path("survey-invitations/<int:pk>/result/", sv.CallResultView.as_view(), name="surveyinvitation_result"),
]
