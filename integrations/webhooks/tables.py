from django.utils.translation import gettext_lazy as _

from core.tables import Column, Table


class SubscriptionTable(Table):
    default_sort = "name"

    name = Column(_("Name"), order_by="name", linkify=True)
    url = Column(_("Target URL"))
    events = Column(_("Events"), render=lambda s: s.event_labels())
    is_active = Column(_("Active"))
    allow_private = Column(_("Private targets allowed"))


class DeliveryTable(Table):
    default_sort = "-created_at"

    created_at = Column(_("Created"), order_by="created_at", linkify=True, css="text-nowrap")
    subscription = Column(_("Webhook"))
    event = Column(_("Event"))
    object_id = Column(_("Object id"))
    state = Column(_("State"))
    attempts = Column(_("Attempts"))
    last_status = Column(_("Last response code"))
    next_attempt_at = Column(_("Next attempt"), render=lambda d: d.next_attempt_at if d.state == "pending" else "")
    last_error = Column(_("Last error"))
