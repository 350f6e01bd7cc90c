from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = _("Marketing")

    def ready(self):
        from core.registry import register_trash

        from . import (  # noqa: F401  (tasks register)
            bench,
            demo,
            demo_sms,
            mailing_tasks,
            models,
            reports,
            segments,
            sms_views,
            tasks,
            ui,
        )

        register_trash(models.Campaign, models.CampaignCost, models.Inquiry, models.DealCampaign, models.WebForm,
                       models.Segment, models.MailingGroup, models.GroupMember, models.Mailing)
        register_trash(models.OutgoingSms)
        # demo data, bench cases; navigation, the deal card's campaign panel, deal filter; the
        # client list's activity filters (segments use them)
        for part in (demo, bench, ui, segments, demo_sms, reports, sms_views):
            part.register()
        # Telemarketing: call scripts, call lists and their entries; the demo call list.
        from . import demo_calls

        register_trash(models.CallScript, models.CallQuestion, models.CallList, models.CallListEntry)
        demo_calls.register()
