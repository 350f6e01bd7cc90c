from django.urls import path

from core.routes import crud_urls, reference_urls

from . import complaint_views
from . import equipment_views as ev
from . import survey_views as sv
from .models import ComplaintType, Department

app_name = "service"

urlpatterns = []

# Complaints and claims
urlpatterns += [
    *crud_urls("complaints", "complaint", list=complaint_views.ComplaintListView,
               detail=complaint_views.ComplaintDetailView, edit=complaint_views.ComplaintEditView,
               delete=complaint_views.ComplaintDeleteView, history=complaint_views.ComplaintHistoryView),
    path("complaints/<int:pk>/state/", complaint_views.ComplaintStateView.as_view(), name="complaint_state"),
    path("complaints/<int:pk>/call/", complaint_views.ComplaintCallView.as_view(), name="complaint_call"),
    path("complaints/<int:pk>/tasks/", complaint_views.ComplaintTaskAddView.as_view(), name="complaint_task_add"),
    path("complaint-tasks/<int:pk>/", complaint_views.ComplaintTaskEditView.as_view(), name="complainttask_edit"),
    path("complaint-tasks/<int:pk>/delete/", complaint_views.ComplaintTaskDeleteView.as_view(),
         name="complainttask_delete"),
    path("complaint-tasks/<int:pk>/done/", complaint_views.ComplaintTaskDoneView.as_view(),
         name="complainttask_done"),
    path("card/<int:pk>/complaints/", complaint_views.CardComplaintsView.as_view(), name="card_complaints"),
    *reference_urls("settings/complaint-types", "complainttype", ComplaintType, app_name,
                    fields=["name", "deadline_days", "order"]),
    *reference_urls("settings/departments", "department", Department, app_name),
]

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
