"""Tables of the call list and of the extensions."""

from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.tables import Column, Table


def _client(call):
    """The client's name only where the reader may see the client (``counterparty_visible``)."""
    if call.counterparty_id is None:
        return ""
    if not getattr(call, "counterparty_visible", False):
        return _("a client of another manager")
    return format_html('<a href="{}">{}</a>', call.counterparty.get_absolute_url(), call.counterparty.name)


def _recording(call):
    if not call.recording_url:
        return ""
    return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', call.recording_url,
                       _("Recording"))


class CallTable(Table):
    default_sort = "-started_at"

    started_at = Column(_("Started"), order_by="started_at", linkify=True, css="text-nowrap")
    direction = Column(_("Direction"))
    state = Column(_("State"))
    number = Column(_("Number"), accessor="display_number", css="text-nowrap")
    counterparty = Column(_("Client"), render=_client)
    user = Column(_("Employee"))
    answered_by = Column(_("Answered by"))
    duration = Column(_("Duration"), accessor="duration_text", css="text-nowrap")
    recording = Column(_("Recording"), render=_recording, export=False)


class PhoneExtensionTable(Table):
    default_sort = "extension"

    extension = Column(_("Extension"), order_by="extension", linkify=True)
    user = Column(_("User"))
    comment = Column(_("Comment"))
