from django.urls import path

from core.routes import crud_urls

from . import views

app_name = "marketing"

urlpatterns = [
    *crud_urls("campaigns", "campaign", list=views.CampaignListView, detail=views.CampaignDetailView,
               edit=views.CampaignEditView, delete=views.CampaignDeleteView, history=views.CampaignHistoryView),
    path("deals/<int:pk>/campaign/", views.DealCampaignView.as_view(), name="deal_campaign"),
]
urlpatterns += [
    *crud_urls("inquiries", "inquiry", list=views.InquiryListView, detail=views.InquiryDetailView,
               edit=views.InquiryEditView, delete=views.InquiryDeleteView, history=views.InquiryHistoryView),
    path("inquiries/<int:pk>/convert/", views.InquiryConvertView.as_view(), name="inquiry_convert"),
]
urlpatterns += crud_urls("web-forms", "webform", list=views.WebFormListView, detail=views.WebFormDetailView,
                         edit=views.WebFormEditView, delete=views.WebFormDeleteView, history=views.WebFormHistoryView)
urlpatterns += crud_urls("segments", "segment", list=views.SegmentListView, detail=views.SegmentDetailView,
                         edit=views.SegmentEditView, delete=views.SegmentDeleteView, history=views.SegmentHistoryView)

from . import groups  # noqa: E402  (the mailing groups' views live in their own module)

urlpatterns += [
    *crud_urls("groups", "group", list=groups.GroupListView, detail=groups.GroupDetailView,
               edit=groups.GroupEditView, delete=groups.GroupDeleteView, history=groups.GroupHistoryView),
    *crud_urls("group-members", "groupmember", delete=groups.MemberDeleteView),
    path("card/<int:pk>/groups/", groups.CardGroupsView.as_view(), name="card_groups"),
]
