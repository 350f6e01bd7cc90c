from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.tables import Column, Table


class ComplaintTable(Table):
    default_sort = "-received_at"

    number = Column(_("Number"), order_by="number", linkify=True, css="text-nowrap")
    received_at = Column(pgettext_lazy("complaint", "Received"), order_by="received_at", css="text-nowrap")
    type = Column(_("Type"))
    counterparty = Column(_("Client"))
    subject = Column(_("Subject"))
    state = Column(_("State"))
    deadline = Column(_("Deadline"), css="text-nowrap")
    responsible = Column(_("Responsible"))
