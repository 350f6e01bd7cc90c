"""What the clients app adds to the shared UI (card tabs, navigation), from ``ClientsConfig.ready()``."""

from django.utils.translation import gettext_lazy as _

from core import access
from core.cards import CardTab, register_tab
from core.navigation import CLIENTS, SETTINGS, NavItem, register_item


def register():
    for order, tab in [
        (10, CardTab("main", _("Main"), template="clients/card/main.html")),
        (20, CardTab("properties", _("Additional properties"), template="clients/card/properties.html")),
        (70, CardTab("persons", _("Contact persons"), template="clients/card/persons.html", badge="persons")),
        (80, CardTab("supplier", _("Supplier"), template="clients/card/supplier.html",
                     visible=lambda obj: obj.is_supplier)),
        (90, CardTab("history", _("History"), url_name="clients:counterparty_history", testid="history-tab")),
    ]:
        register_tab(tab, order)

    settings = access.can_manage_settings
    for order, key, item in [
        (10, "counterparties", NavItem(CLIENTS, _("Clients"), "clients:counterparty_list", icon="building")),
        (20, "persons", NavItem(CLIENTS, _("Contact persons"), "clients:person_list", icon="person-lines-fill")),
        (30, "duplicates", NavItem(CLIENTS, _("Possible duplicates"), "clients:duplicate_list", icon="intersect",
                                   testid="nav-duplicates")),
        (10, "properties", NavItem(SETTINGS, _("Custom properties"), "clients:property_list", permission=settings,
                                   section="clients")),
        (11, "groups", NavItem(SETTINGS, _("Counterparty groups"), "clients:group_list", permission=settings,
                               section="clients")),
        (12, "reltypes", NavItem(SETTINGS, _("Relationship types"), "clients:reltype_list", permission=settings,
                                 section="clients")),
        (13, "regions", NavItem(SETTINGS, _("Regions"), "clients:region_list", permission=settings,
                                section="clients")),
        (14, "industries", NavItem(SETTINGS, _("Industries"), "clients:industry_list", permission=settings,
                                   section="clients")),
    ]:
        register_item(f"clients:{key}", item, order)
