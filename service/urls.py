from django.urls import path

from core.routes import crud_urls

from . import equipment_views as ev
from . import survey_views as sv

app_name = "service"

urlpatterns = []

# Equipment and service (issue 12 item 3)
urlpatterns += [
    *crud_urls("contracts", "contract", list=ev.ServiceContractListView, detail=ev.ServiceContractDetailView,
               edit=ev.ServiceContractEditView, delete=ev.ServiceContractDeleteView,
               history=ev.ServiceContractHistoryView),
    path("contracts/<int:pk>/plan-visits/", ev.PlanVisitsView.as_view(), name="contract_plan_visits"),
    *crud_urls("equipment", "equipment", list=ev.EquipmentListView, detail=ev.EquipmentDetailView,
               edit=ev.EquipmentEditView, delete=ev.EquipmentDeleteView, history=ev.EquipmentHistoryView),
    path("equipment/<int:pk>/consultation/", ev.ConsultationView.as_view(), name="equipment_consultation"),
    *crud_urls("visits", "visit", list=ev.ServiceVisitListView, edit=ev.ServiceVisitEditView,
               delete=ev.ServiceVisitDeleteView, history=ev.ServiceVisitHistoryView),
    path("orders/<int:pk>/installation/", ev.OrderInstallationView.as_view(), name="order_installation"),
    path("card/<int:pk>/equipment/", ev.CardEquipmentView.as_view(), name="card_equipment"),
]

# Surveys: questionnaires, rules, invitations, calls
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
