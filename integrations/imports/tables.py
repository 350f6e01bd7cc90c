from django.utils.translation import gettext_lazy as _

from core.tables import Column, Table


class ImportJobTable(Table):
    default_sort = "-id"
    id = Column("#", order_by="id", linkify=True)
    file_name = Column(_("File"), linkify=True)
    kind = Column(_("What is imported"))
    state = Column(_("State"))
    total_rows = Column(_("Rows"))
    created_count = Column(_("Created"))
    updated_count = Column(_("Updated"))
    created_by = Column(_("Uploaded by"))
    created_at = Column(_("Uploaded"), order_by="created_at")
