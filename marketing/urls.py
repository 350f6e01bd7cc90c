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

from . import calls  # noqa: E402  (telemarketing: call scripts, call lists, the operator screen)

urlpatterns += [
    *crud_urls("call-scripts", "callscript", list=calls.ScriptListView, detail=calls.ScriptDetailView,
               edit=calls.ScriptEditView, delete=calls.ScriptDeleteView, history=calls.ScriptHistoryView),
    *crud_urls("call-lists", "calllist", list=calls.ListListView, detail=calls.ListDetailView,
               edit=calls.ListEditView, delete=calls.ListDeleteView, history=calls.ListHistoryView),
    path("call-lists/<int:pk>/fill/", calls.ListFillView.as_view(), name="calllist_fill"),
    path("call-lists/<int:pk>/next/", calls.NextCallView.as_view(), name="calllist_next"),
    *crud_urls("call-list-entries", "calllistentry", delete=calls.EntryDeleteView),
    path("call-list-entries/<int:pk>/result/", calls.EntryResultView.as_view(), name="calllistentry_result"),
    path("call-list-entries/<int:pk>/release/", calls.EntryReleaseView.as_view(), name="calllistentry_release"),
]

from . import mailing_views  # noqa: E402

urlpatterns += [
    *crud_urls("mailings", "mailing", list=mailing_views.MailingListView, detail=mailing_views.MailingDetailView,
               edit=mailing_views.MailingEditView, delete=mailing_views.MailingDeleteView,
               history=mailing_views.MailingHistoryView),
    path("mailings/<int:pk>/progress/", mailing_views.MailingProgressView.as_view(), name="mailing_progress"),
    path("mailings/<int:pk>/<str:action>/", mailing_views.MailingActionView.as_view(), name="mailing_action"),
]

from . import sms_views  # noqa: E402  (the client card's SMS tab and its segment counter)

urlpatterns += [
    path("card/<int:pk>/sms/", sms_views.CardSmsView.as_view(), name="card_sms"),
    path("sms/counter/", sms_views.counter, name="sms_counter"),
    path("sms/<int:pk>/retry/", sms_views.SmsRetryView.as_view(), name="sms_retry"),
]
