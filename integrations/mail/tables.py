from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.tables import Column, Table


def _client(letter):
    cp = letter.counterparty
    return format_html('<a href="{}">{}</a>', cp.get_absolute_url(), cp.name) if cp else "—"


def _sender(letter):
    return f"{letter.sender_name} <{letter.sender}>" if letter.sender_name else letter.sender


class MailboxTable(Table):
    default_sort = "name"

    name = Column(_("Name"), order_by="name", linkify=True)
    username = Column(_("User name"))
    host = Column(_("IMAP server"))
    owner = Column(_("Owner"), render=lambda m: m.owner or _("Shared"))
    active = Column(_("Active"))
    polled_at = Column(_("Last checked"), css="text-nowrap")
    last_error = Column(_("Last error"))


class IncomingLetterTable(Table):
    default_sort = "-received_at"

    received_at = Column(_("Received"), order_by="received_at", css="text-nowrap")
    subject = Column(_("Subject"), linkify=True)
    sender = Column(_("From"), render=_sender)
    counterparty = Column(_("Client"), render=_client)
    state = Column(_("State"), accessor="get_state_display")
    mailbox = Column(_("Mailbox"))
