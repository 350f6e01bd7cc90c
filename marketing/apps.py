from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = _("Marketing")

    def ready(self):
        from core.registry import register_trash

        from . import demo, models, ui

        register_trash(models.Campaign, models.CampaignCost, models.Inquiry, models.DealCampaign, models.WebForm)
        for part in (demo, ui):  # demo data; navigation, the deal card's campaign panel, deal filter
            part.register()
