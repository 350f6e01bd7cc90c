"""What the sales app adds to the shared UI (card tabs, navigation, dashboard tiles), from
``SalesConfig.ready()``."""

from django.utils.translation import gettext_lazy as _

from core.cards import CardTab, register_tab


def register():
    for order, tab in [
        (40, CardTab("deals", _("Deals"), url_name="sales:card_deals", testid="deals-tab")),
        (50, CardTab("orders", _("Orders"), url_name="sales:card_orders", testid="orders-tab")),
        (60, CardTab("documents", _("Documents"), url_name="sales:card_documents", testid="documents-tab")),
    ]:
        register_tab(tab, order)
