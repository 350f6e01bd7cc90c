"""What the activities app adds to the shared UI (card tabs, navigation, dashboard tiles),
from ``ActivitiesConfig.ready()``."""

from django.utils.translation import gettext_lazy as _

from core.cards import CardTab, register_tab


def register():
    register_tab(CardTab("interactions", _("Interactions"), url_name="activities:card_interactions",
                         testid="interactions-tab"), 30)
