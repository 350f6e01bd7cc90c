from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.tables import Column, Table


def _client(obj):
    cp = obj.counterparty
    return format_html('<a href="{}">{}</a>', cp.get_absolute_url(), cp.name)


class DealTable(Table):
    default_sort = "-created_at"

    title = Column(_("Deal"), order_by="title", linkify=True)
    counterparty = Column(_("Client"), render=_client)
    stage = Column(_("Stage"))
    amount = Column(_("Amount"), order_by="amount", css="text-end text-nowrap")
    currency = Column(_("Currency"))
    probability = Column(_("Probability, %"), css="text-end")
    expected_close_date = Column(_("Expected close"))
    responsible = Column(_("Responsible"))
    created_at = Column(_("Created"), order_by="created_at", css="text-nowrap")


def _pipeline_link(obj):
    from django.urls import reverse

    return format_html('<a href="{}">{}</a>', reverse("sales:pipeline_edit", args=[obj.pk]), obj.name)


class PipelineTable(Table):
    default_sort = "order"

    name = Column(_("Name"), order_by="name", render=_pipeline_link)
    is_default = Column(_("Default"))
    order = Column(_("Order"), order_by="order")


class StageRuleTable(Table):
    default_sort = "title"

    title = Column(_("Task"), order_by="title", linkify=True)
    stage = Column(_("Stage"), render=lambda o: f"{o.stage.pipeline} · {o.stage}")
    assignee_kind = Column(_("Assignee"), render=lambda o: (
        str(o.user) if o.assignee_kind == "user" else o.get_role_display()
        if o.assignee_kind == "role" else o.get_assignee_kind_display()))
    deadline = Column(_("Deadline"), render=lambda o: f"{o.deadline_amount} {o.get_deadline_unit_display()}")
    is_active = Column(_("Active"))


class DocumentTemplateTable(Table):
    default_sort = "name"

    name = Column(_("Name"), order_by="name", linkify=True)
    kind = Column(pgettext_lazy("document", "Kind"))
    file = Column(_("DOCX file"), render=lambda o: o.file.name.rsplit("/", 1)[-1] if o.file else _("Built-in"))
    is_active = Column(_("Active"))


class ClientColumn(Column):
    """The client's name, a link on the page and plain text in exports."""

    def text(self, obj):
        return obj.counterparty.name

    def html(self, obj):
        return _client(obj)


class OrderTable(Table):
    default_sort = "-date"

    number = Column(pgettext_lazy("order number", "Number"), order_by="id", linkify=True)
    date = Column(_("Date"), order_by="date", css="text-nowrap")
    counterparty = ClientColumn(_("Client"))
    amount = Column(_("Amount"), order_by="amount", css="text-end text-nowrap")
    currency = Column(_("Currency"))
    state = Column(_("State"))
    failure_reason = Column(_("Failure reason"))
    responsible = Column(_("Responsible"))


# --- Product catalogue ----------------------------------------------------------------------------

class ProductTable(Table):
    default_sort = "name"

    name = Column(_("Name"), order_by="name", linkify=True)
    article = Column(_("Article"), order_by="article")
    kind = Column(_("Kind"), render=lambda o: o.get_kind_display())
    category = Column(_("Category"))
    unit = Column(_("Unit"), render=lambda o: o.get_unit_display())
    price = Column(_("Price"), order_by="price", css="text-end text-nowrap")
    cost = Column(_("Unit cost"), css="text-end text-nowrap")
    currency = Column(_("Currency"))
    is_active = Column(_("Active"))

    @classmethod
    def prepare(cls, qs):
        return super().prepare(qs).select_related("category")


class ProductCategoryTable(Table):
    default_sort = "name"

    name = Column(_("Name"), order_by="name", linkify=True)
    parent = Column(_("Parent category"))

    @classmethod
    def prepare(cls, qs):
        return super().prepare(qs).select_related("parent")
