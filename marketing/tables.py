from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.tables import Column, Table


class CampaignTable(Table):
    default_sort = "-start"

    name = Column(_("Campaign"), order_by="name", linkify=True)
    kind = Column(_("Kind"))
    channel = Column(_("Channel"))
    state = Column(_("State"))
    start = Column(_("Start"), order_by="start", css="text-nowrap")
    end = Column(_("End"), order_by="end", css="text-nowrap")
    budget = Column(_("Budget"), order_by="budget", css="text-end text-nowrap")
    cost_total = Column(pgettext_lazy("marketing", "Cost"), css="text-end text-nowrap")
    currency = Column(_("Currency"))
    responsible = Column(_("Responsible"))


class InquiryTable(Table):
    default_sort = "-received_at"

    received_at = Column(pgettext_lazy("inquiry", "Received"), order_by="received_at", linkify=True, css="text-nowrap")
    channel = Column(_("Channel"))
    company = Column(_("Company"))
    person_name = Column(_("Person"))
    phone = Column(_("Phone"))
    email = Column(_("Email"))
    campaign = Column(_("Campaign"))
    state = Column(_("State"))
    responsible = Column(_("Responsible"))


class WebFormTable(Table):
    default_sort = "name"

    name = Column(_("Web form"), order_by="name", linkify=True)
    is_active = Column(_("Active"))
    campaign = Column(_("Campaign"))
    responsible = Column(_("Responsible"))
    created_at = Column(_("Created"), order_by="created_at", css="text-nowrap")


class SegmentTable(Table):
    default_sort = "name"

    name = Column(_("Segment"), order_by="name", linkify=True)
    description = Column(_("Description"))
    updated_at = Column(_("Updated"), order_by="updated_at", css="text-nowrap")


class MailingGroupTable(Table):
    default_sort = "name"

    name = Column(_("Mailing group"), order_by="name", linkify=True)
    description = Column(_("Description"))
    updated_at = Column(_("Updated"), order_by="updated_at", css="text-nowrap")


class MailingTable(Table):
    default_sort = "-created_at"

    name = Column(_("Mailing"), order_by="name", linkify=True)
    channel = Column(_("Channel"))
    state = Column(_("State"))
    campaign = Column(_("Campaign"))
    started_at = Column(_("Started"), order_by="started_at", css="text-nowrap")
    created_at = Column(_("Created"), order_by="created_at", css="text-nowrap")
