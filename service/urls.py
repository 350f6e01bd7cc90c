from django.urls import path

from core.routes import crud_urls, reference_urls

from . import complaint_views
from .models import ComplaintType, Department

app_name = "service"

urlpatterns = []

# Complaints and claims (issue 12, item 2).
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
