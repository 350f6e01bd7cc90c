"""What the clients app adds to the shared UI (card tabs, navigation), from ``ClientsConfig.ready()``."""

from django.utils.translation import gettext_lazy as _

from core import access
from core.cards import CardPanel, CardTab, register_panel, register_tab
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

    register_panel(CardPanel("duplicates", "clients/card/duplicates_panel.html", duplicates_panel), order=5)

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


def duplicates_panel(request, obj):
    """The client's open duplicate pairs (both sides visible to the user), with a merge link."""
    from .duplicates import pairs_of

    pairs = list(pairs_of(obj, request.user).select_related("first", "second").order_by("-score", "id")[:5])
    if not pairs:
        return None
    from .models import Counterparty

    others = [p.second if p.first_id == obj.pk else p.first for p in pairs]
    changeable = set(Counterparty.objects.restrict(request.user, access.CHANGE).filter(
        pk__in=[obj.pk, *[o.pk for o in others]]).values_list("pk", flat=True))
    return {"object": obj, "others": [(o, obj.pk in changeable and o.pk in changeable) for o in others]}
