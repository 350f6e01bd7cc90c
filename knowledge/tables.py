from django.utils.translation import gettext_lazy as _

from core.tables import Column, Table


class ArticleTable(Table):
    default_sort = "title"

    title = Column(_("Title"), order_by="title", linkify=True)
    kind = Column(_("Kind"))
    category = Column(_("Category"))
    published = Column(_("Published"))
    author = Column(_("Author"))
    updated_at = Column(_("Updated"), order_by="updated_at", css="text-nowrap")
