from django.urls import path

from . import views

app_name = "sales"

urlpatterns = [
    path("deals/", views.DealListView.as_view(), name="deal_list"),
    path("deals/add/", views.DealEditView.as_view(), name="deal_add"),
    path("deals/<int:pk>/", views.DealEditView.as_view(), name="deal_edit"),
    path("deals/<int:pk>/delete/", views.DealDeleteView.as_view(), name="deal_delete"),
    path("deals/<int:pk>/move/", views.DealMoveView.as_view(), name="deal_move"),
    path("board/", views.BoardView.as_view(), name="board_default"),
    path("board/<int:pk>/", views.BoardView.as_view(), name="board"),
    # Settings (administrators).
    path("settings/pipelines/", views.PipelineListView.as_view(), name="pipeline_list"),
    path("settings/pipelines/new/", views.PipelineEditView.as_view(), name="pipeline_add"),
    path("settings/pipelines/<int:pk>/", views.PipelineEditView.as_view(), name="pipeline_edit"),
    path("settings/stages/new/", views.StageEditView.as_view(), name="stage_add"),
    path("settings/stages/<int:pk>/", views.StageEditView.as_view(), name="stage_edit"),
    path("settings/rules/", views.StageRuleListView.as_view(), name="rule_list"),
    path("settings/rules/new/", views.StageRuleEditView.as_view(), name="rule_add"),
    path("settings/rules/<int:pk>/", views.StageRuleEditView.as_view(), name="rule_edit"),
    path("settings/rules/<int:pk>/delete/", views.StageRuleDeleteView.as_view(), name="rule_delete"),
    path("settings/lost-reasons/", views.LostReasonListView.as_view(), name="lostreason_list"),
    path("settings/lost-reasons/new/", views.LostReasonEditView.as_view(), name="lostreason_add"),
    path("settings/lost-reasons/<int:pk>/", views.LostReasonEditView.as_view(), name="lostreason_edit"),
]
