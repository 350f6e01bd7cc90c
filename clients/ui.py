"""What the clients app adds to the shared UI (card tabs, navigation), from ``ClientsConfig.ready()``."""

from django.utils.translation import gettext_lazy as _

from core.cards import CardTab, register_tab


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
