"""What the sales app adds to the shared UI (card tabs, navigation, dashboard tiles), from
``SalesConfig.ready()``."""

from django.utils.translation import gettext_lazy as _

from core import access
from core.cards import CardTab, register_tab
from core.navigation import SALES, SETTINGS, NavItem, register_item


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
        (45, "products", NavItem(SALES, _("Product catalogue"), "sales:product_list", icon="box-seam",
                                 section="catalogue", testid="nav-products")),
        (46, "product_categories", NavItem(SALES, _("Product categories"), "sales:productcategory_list",
                                           icon="diagram-3", section="catalogue")),
        (40, "pipelines", NavItem(SETTINGS, _("Pipelines"), "sales:pipeline_list", permission=settings,
                                  section="sales")),
        (41, "rules", NavItem(SETTINGS, _("Stage rules"), "sales:rule_list", permission=settings, section="sales")),
        (42, "lost_reasons", NavItem(SETTINGS, _("Lost reasons"), "sales:lostreason_list", permission=settings,
                                     section="sales")),
        (43, "failure_reasons", NavItem(SETTINGS, _("Order failure reasons"), "sales:failurereason_list",
                                        permission=settings, section="sales")),
        (44, "lead_sources", NavItem(SETTINGS, _("Lead sources"), "sales:leadsource_list", permission=settings,
                                     section="sales")),
        (45, "templates", NavItem(SETTINGS, _("Document templates"), "sales:template_list", permission=settings,
                                  section="sales")),
    ]:
        register_item(f"sales:{key}", item, order)
