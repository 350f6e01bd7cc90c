"""Marketing API resources, registered on the shared router (see klientura/api_urls.py)."""

from core.api.router import router

from . import views

router.register("campaigns", views.CampaignViewSet)
router.register("campaign-costs", views.CampaignCostViewSet)
router.register("deal-campaigns", views.DealCampaignViewSet)
router.register("inquiries", views.InquiryViewSet)
router.register("web-forms", views.WebFormViewSet)
router.register("segments", views.SegmentViewSet)
router.register("mailing-groups", views.MailingGroupViewSet)
router.register("mailing-group-members", views.GroupMemberViewSet)

from . import sms  # noqa: E402

router.register("sms", sms.OutgoingSmsViewSet)

from . import calls  # noqa: E402  (telemarketing)

router.register("call-scripts", calls.CallScriptViewSet)
router.register("call-questions", calls.CallQuestionViewSet)
router.register("call-lists", calls.CallListViewSet)
router.register("call-list-entries", calls.CallListEntryViewSet)

from . import mailings  # noqa: E402  (email and SMS mailings)

router.register("mailings", mailings.MailingViewSet)
router.register("mailing-recipients", mailings.MailingRecipientViewSet)
