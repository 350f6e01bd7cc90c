"""What the sales app adds to the shared UI (card tabs, navigation, dashboard tiles), from
``SalesConfig.ready()``."""

from django.utils.translation import gettext_lazy as _

from core import access
from core.cards import CardTab, register_tab
from core.navigation import REPORTS, SALES, SETTINGS, NavItem, register_item


def register():
    for order, tab in [
        (40, CardTab("deals", _("Deals"), url_name="sales:card_deals", testid="deals-tab")),
        (50, CardTab("orders", _("Orders"), url_name="sales:card_orders", testid="orders-tab")),
        (60, CardTab("documents", _("Documents"), url_name="sales:card_documents", testid="documents-tab")),
    ]:
        register_tab(tab, order)

    settings = access.can_manage_settings
    for order, key, item in [
        (40, "board", NavItem(SALES, _("Deal board"), "sales:board_default", icon="kanban", testid="nav-deals")),
        (41, "deals", NavItem(SALES, _("Deal list"), "sales:deal_list", icon="list-ul")),
        (42, "orders", NavItem(SALES, _("Orders"), "sales:order_list", icon="receipt", section="orders",
                               testid="nav-orders")),
        (43, "order_analysis", NavItem(SALES, _("Order analysis"), "sales:order_analysis", icon="clipboard-data",
                                       section="orders")),
        (40, "reports", NavItem(REPORTS, _("Sales reports"), "sales:report_index", section="sales")),
        (41, "report_funnel", NavItem(REPORTS, _("Sales funnel"), "sales:report_funnel", section="sales")),
        (42, "report_forecast", NavItem(REPORTS, _("Sales forecast"), "sales:report_forecast", section="sales")),
        (43, "report_won_lost", NavItem(REPORTS, _("Won and lost deals"), "sales:report_won_lost", section="sales")),
        (44, "report_failures", NavItem(REPORTS, _("Order failure reasons"), "sales:report_order_failures",
                                        section="sales")),
        (45, "report_interests", NavItem(REPORTS, _("New client interests and proposals"),
                                         "sales:report_interests", section="sales")),
        (46, "report_profitability", NavItem(REPORTS, _("Client profitability"), "sales:report_profitability",
                                             section="sales")),
        (40, "pipelines", NavItem(SETTINGS, _("Pipelines"), "sales:pipeline_list", permission=settings,
                                  section="sales")),
        (41, "rules", NavItem(SETTINGS, _("Stage rules"), "sales:rule_list", permission=settings, section="sales")),
        (42, "lost_reasons", NavItem(SETTINGS, _("Lost reasons"), "sales:lostreason_list", permission=settings,
                                     section="sales")),
        (43, "failure_reasons", NavItem(SETTINGS, _("Order failure reasons"), "sales:failurereason_list",
                                        permission=settings, section="sales")),
        (44, "templates", NavItem(SETTINGS, _("Document templates"), "sales:template_list", permission=settings,
                                  section="sales")),
    ]:
        register_item(f"sales:{key}", item, order)
