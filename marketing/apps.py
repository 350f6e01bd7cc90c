from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = _("Marketing")

    def ready(self):
        from core.registry import register_trash

        from . import bench, demo, models, segments, ui

        register_trash(models.Campaign, models.CampaignCost, models.Inquiry, models.DealCampaign, models.WebForm,
                       models.Segment, models.MailingGroup, models.GroupMember)
        # demo data, bench cases; navigation, the deal card's campaign panel, deal filter; the
        # client list's activity filters (segments use them)
        for part in (demo, bench, ui, segments):
            part.register()
