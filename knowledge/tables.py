from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.tables import Column, Table


class ArticleTable(Table):
    default_sort = "title"

    title = Column(pgettext_lazy("knowledge", "Title"), order_by="title", linkify=True)
    kind = Column(pgettext_lazy("knowledge", "Kind"))
    category = Column(_("Category"))
    published = Column(_("Published"))
    author = Column(_("Author"))
    updated_at = Column(pgettext_lazy("knowledge", "Updated"), order_by="updated_at", css="text-nowrap")
