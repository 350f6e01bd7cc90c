from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.tables import Column, Table

from .models import PHONE_KINDS, ContactKind


def _first_contact(obj, kinds):
    # A list: a prefetch into the related manager cloned a queryset per row (7 ms a page).
    for info in obj.primary_contacts:
        if info.kind in kinds:
            return info
    return None


def _phone(obj):
    from .templatetags.client_tags import phone_link

    info = _first_contact(obj, PHONE_KINDS)
    return phone_link(info.value) if info else ""  # click-to-call; the exports keep the text


def _email(obj):
    info = _first_contact(obj, {ContactKind.EMAIL})
    return info.value if info else ""


class CounterpartyTable(Table):
    selectable = True
    default_sort = "name"

    name = Column(_("Name"), order_by="name", linkify=True)
    tax_id = Column(_("Tax id"), order_by="tax_id")
    kind = Column(_("Kind"))
    group = Column(_("Group"), render=lambda o: o.group.name if o.group_id else "")
    relationship_type = Column(_("Relationship type"))
    main_manager = Column(_("Main manager"))
    city = Column(_("City"), order_by="city")
    phone = Column(_("Phone"), render=_phone, css="text-nowrap")
    email = Column(_("Email"), render=_email)
    created_at = Column(_("Created"), order_by="created_at", css="text-nowrap")


class ContactPersonTable(Table):
    default_sort = "full_name"

    full_name = Column(pgettext_lazy("person", "Name"), order_by="last_name", linkify=True)
    position = Column(_("Position"))
    counterparty = Column(_("Counterparty"))
    birthday = Column(_("Birthday"))
    responsible = Column(_("Responsible"))


class PropertyTable(Table):
    default_sort = "name"

    name = Column(_("Name"), order_by="name", linkify=True)
    code = Column(_("Code"), order_by="code")
    kind = Column(_("Type"))
    target = Column(_("Applies to"))
    required = Column(_("Required"))
