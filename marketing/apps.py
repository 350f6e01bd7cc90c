from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = _("Marketing")

    def ready(self):
        from core.registry import register_trash

        from . import (
            bench,
            demo,
            demo_calls,
            demo_sms,
            models,
            reports,
            segments,
            sms_views,
            tasks,  # noqa: F401  (registers the periodic tasks)
            ui,
        )

        register_trash(models.Campaign, models.CampaignCost, models.Inquiry, models.DealCampaign, models.WebForm,
                       models.Segment, models.MailingGroup, models.GroupMember, models.Mailing, models.OutgoingSms,
                       models.CallScript, models.CallQuestion, models.CallList, models.CallListEntry)
        # demo data, bench cases, reports; navigation, card tabs and panels, the deal filter; the
        # client list's activity filters (segments use them)
        for part in (demo, demo_sms, demo_calls, bench, reports, ui, sms_views, segments):
            part.register()
