from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.tables import Column, Table

from .models import ArticleCategory


class ArticleTable(Table):
    default_sort = "title"

    title = Column(pgettext_lazy("knowledge", "Title"), order_by="title", linkify=True)
    kind = Column(pgettext_lazy("knowledge", "Kind"))
    category = Column(_("Category"))
    published = Column(_("Published"))
    author = Column(_("Author"))
    updated_at = Column(pgettext_lazy("knowledge", "Updated"), order_by="updated_at", css="text-nowrap")


class CategoryTable(Table):
    """The categories' settings list: each by its full path ("A › B"), so the tree reads in order."""

    default_sort = "name"

    name = Column(_("Name"), accessor="path", order_by="path", linkify=True)
    description = Column(capfirst(ArticleCategory._meta.get_field("description").verbose_name))
    order = Column(capfirst(ArticleCategory._meta.get_field("order").verbose_name), order_by="order")
