from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.tables import Column, Table


def _client(obj):
    cp = obj.counterparty
    return format_html('<a href="{}">{}</a>', cp.get_absolute_url(), cp.name)


def _link(obj):
    return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj) if obj else ""


class ServiceContractTable(Table):
    default_sort = "-start"

    number = Column(_("Number"), order_by="number", linkify=True)
    counterparty = Column(_("Client"), render=_client)
    start = Column(_("Start"), order_by="start", css="text-nowrap")
    end = Column(_("End"), order_by="end", css="text-nowrap")
    visits_per_year = Column(_("Visits per year"), css="text-end")
    response_hours = Column(_("Response, hours"), css="text-end")
    amount = Column(_("Amount"), order_by="amount", css="text-end text-nowrap")
    currency = Column(_("Currency"))
    engineer = Column(_("Service engineer"))


class EquipmentTable(Table):
    default_sort = "serial_number"

    serial_number = Column(_("Serial number"), order_by="serial_number", linkify=True)
    product = Column(_("Model"))
    counterparty = Column(_("Client"), render=_client)
    address = Column(_("Installation address"))
    installed_on = Column(_("Installed"), order_by="installed_on", css="text-nowrap")
    warranty_until = Column(_("Warranty until"), order_by="warranty_until", css="text-nowrap")
    contract = Column(_("Service contract"), render=lambda obj: _link(obj.contract))


class ServiceVisitTable(Table):
    default_sort = "planned_start"

    planned_start = Column(_("Planned"), order_by="planned_start", linkify=True, css="text-nowrap")
    kind = Column(_("Kind"))
    state = Column(_("State"))
    counterparty = Column(_("Client"), render=_client)
    equipment = Column(_("Equipment"), render=lambda obj: _link(obj.equipment))
    contract = Column(_("Service contract"), render=lambda obj: _link(obj.contract))
    engineer = Column(_("Service engineer"))
    done_at = Column(_("Done"), css="text-nowrap")
