from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.tables import Column, Table


class StatementTable(Table):
    default_sort = "-uploaded_at"

    uploaded_at = Column(_("Uploaded"), order_by="uploaded_at", linkify=True, css="text-nowrap")
    file_name = Column(_("File"))
    uploaded_by = Column(_("Uploaded by"))
    date_from = Column(_("Period from"), css="text-nowrap")
    date_to = Column(_("Period to"), css="text-nowrap")
    incoming = Column(_("Incoming"), css="text-end")
    matched = Column(_("Registered automatically"), css="text-end")
    review = Column(_("Sent to review"), css="text-end")
    duplicates = Column(_("Loaded before"), css="text-end")
    outgoing = Column(_("Outgoing (skipped)"), css="text-end")


class StatementLineTable(Table):
    default_sort = "-date"

    date = Column(_("Date"), order_by="date", linkify=True, css="text-nowrap")
    number = Column(pgettext_lazy("payment order", "No."))
    amount = Column(_("Amount"), order_by="amount", css="text-end text-nowrap")
    payer_name = Column(_("Payer"))
    payer_inn = Column(_("Payer's tax id"))
    purpose = Column(_("Purpose of payment"))
    state = Column(_("State"))
    reason = Column(_("Why to review"))
    counterparty = Column(_("Client"))
    order = Column(pgettext_lazy("sales order", "Order"))
