"""Files attached to records (clients, deals, orders, complaints…), one mechanism for every app.

An app enables attachments on a model from its ``AppConfig.ready()``::

    register_attachments(Counterparty, tab=True)   # a tab on the client card
    register_attachments(Deal)                     # a panel on the deal card

Access follows the record (``core.models.AttachmentQuerySet.restrict``): who may see a record
lists and downloads its files, who may change it adds and deletes them. A record in the trash
hides its attachments until it is restored; an attachment deleted alone goes to the trash; a
record deleted for good (``hard_delete``) takes its attachments and their files with it.

``attach(obj, file, name, user)`` is the service for code that stores files without a form (the
forms, the API and, later, mail intake): it checks the size and the name the same way.
"""

import mimetypes
import os
import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models.signals import post_delete
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import registry

OCTET_STREAM = "application/octet-stream"
NAME_MAX = 255
_EXTENSION = re.compile(r"^\.[a-z0-9]{1,10}$")
_MIME = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$")


# --- Registration -------------------------------------------------------------------------------

_TABS = set()  # labels whose attachments are a card tab (its count is redrawn with the panel)

def register_attachments(model, tab=False, order=85):
    """Enable attachments on ``model``'s records: access, trash, purge, and the card's UI (a tab
    of the client card with ``tab=True``, else a panel on the model's card)."""
    from .cards import CardPanel, CardTab, register_panel, register_tab

    label = model._meta.label_lower
    registry.attachments.register(label, model)
    post_delete.connect(_record_purged, sender=model, dispatch_uid=f"attachments_purge_{label}")
    if tab:
        _TABS.add(label)
        register_tab(CardTab("attachments", gettext_lazy("Attachments"), card=label, url=tab_url,
                             count=count_for, testid="attachments-tab"), order)
    else:
        register_panel(CardPanel("attachments", "core/attachments/panel.html", panel_context, card=label), order)


def registered_model(label):
    """The registered model of ``label`` ("clients.counterparty"), or None."""
    return registry.attachments[label] if label in registry.attachments else None


def registered_models():
    return list(registry.attachments)


def model_choices():
    return [(label, model._meta.verbose_name) for label, model in registry.attachments.items()]


# --- Names, sizes, types ------------------------------------------------------------------------

def max_size():
    return settings.KLIENTURA_ATTACHMENT_MAX_MB * 1024 * 1024


def clean_name(name):
    """The original file name as shown and downloaded: no folders, no control characters, at most
    255 characters (the extension kept)."""
    name = re.split(r"[/\\]", str(name or ""))[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = name.strip().strip(".").strip()
    if not name:
        return _("file")
    if len(name) > NAME_MAX:
        stem, ext = os.path.splitext(name)
        ext = ext if len(ext) <= 16 else ""
        name = stem[:NAME_MAX - len(ext)] + ext
    return name


def safe_extension(name):
    """The extension of ``name`` if it is short and plain (".pdf"), else none: stored files get a
    random name with it."""
    ext = os.path.splitext(str(name or ""))[1].lower()
    return ext if _EXTENSION.match(ext) else ""


def guess_type(name, declared=None):
    """The file's MIME type: from its name's extension, else as declared (by the browser, the
    letter), else ``application/octet-stream``."""
    guessed = mimetypes.guess_type(name)[0]
    if guessed:
        return guessed
    declared = (declared or "").split(";")[0].strip().lower()
    return declared if _MIME.match(declared) else OCTET_STREAM


def check_size(size):
    """A ValidationError naming the limit, or the empty file."""
    if not size:
        raise ValidationError(_("The file is empty."), code="empty")
    if size > max_size():
        raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": settings.KLIENTURA_ATTACHMENT_MAX_MB},
                              code="too_large")


# --- The service ------------------------------------------------------------------------------

def attach(obj, file, name=None, user=None, description="", content_type=None):
    """Store ``file`` (an uploaded or Django ``File``, or bytes) as an attachment of ``obj``.

    Raises ValidationError ({"file": …}) for an empty or too large file and for a model that
    takes no attachments. Access is the caller's business (views and the API check the record).
    """
    from django.contrib.contenttypes.models import ContentType

    from .models import Attachment

    if registered_model(obj._meta.label_lower) is None:
        raise ValidationError({"file": _("Files cannot be attached to this kind of record.")})
    if isinstance(file, (bytes, bytearray)):
        file = ContentFile(bytes(file))
    elif not isinstance(file, File):
        file = File(file)
    name = clean_name(name or getattr(file, "name", "") or "")
    try:
        check_size(file.size)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    declared = content_type or getattr(file, "content_type", None)
    attachment = Attachment(content_type=ContentType.objects.get_for_model(obj),
                            object_id=obj.pk, name=name, size=file.size, mime_type=guess_type(name, declared),
                            description=(description or "").strip()[:500], uploaded_by=user)
    attachment._history_user = user
    attachment.file.save(name, file, save=False)
    try:
        with transaction.atomic():
            attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


def attachments_of(obj, user):
    """The live attachments of ``obj`` that ``user`` may see, newest first."""
    from .models import Attachment, record_type_q

    # The record's own restrict for this one record, not ``Attachment.restrict`` (an OR over every
    # registered model's visible ids: 40 ms on a card at 100 000 clients, even with no files).
    visible = type(obj).objects.restrict(user).filter(pk=obj.pk).values("pk")
    return Attachment.objects.filter(record_type_q(type(obj)), object_id__in=visible) \
        .select_related("uploaded_by")


def can_attach(user, obj):
    """May ``user`` add (and delete) attachments of ``obj``: may they change it?"""
    from . import access

    return access.may(user, access.CHANGE, obj)


def _record_purged(sender, instance, **kwargs):
    """A record deleted for good (not to the trash): its attachments go too (their files with
    them, ``_attachment_deleted``)."""
    from .models import Attachment, record_type_q

    for attachment in Attachment.all_objects.filter(record_type_q(sender), object_id=instance.pk):
        attachment.hard_delete()


def _attachment_deleted(sender, instance, **kwargs):
    """An attachment's row deleted for good: its file is removed once the transaction commits."""
    if instance.file:
        storage, name = instance.file.storage, instance.file.name
        transaction.on_commit(lambda: storage.delete(name))


def connect_signals():
    from .models import Attachment

    post_delete.connect(_attachment_deleted, sender=Attachment, dispatch_uid="attachment_file_delete")


# --- Card UI ------------------------------------------------------------------------------------

def tab_url(obj):
    from django.urls import reverse

    return reverse("attachments", args=[obj._meta.label_lower, obj.pk])


SHOWN = 99  # the tab's number stops here ("99+"): ids are read, the card never COUNTs


def count_for(user, obj):
    n = len(attachments_of(obj, user).values_list("pk", flat=True)[:SHOWN + 1])
    return f"{SHOWN}+" if n > SHOWN else n


def panel_context(request, obj, form=None):
    """What core/attachments/panel.html shows for ``obj``: its files and, for those who may change
    ``obj``, the upload form."""
    from django.urls import reverse

    from .forms import AttachmentForm

    user = request.user
    can_add = can_attach(user, obj)
    label = obj._meta.label_lower
    return {
        "record": obj,
        "attachments": list(attachments_of(obj, user)),
        "can_add": can_add,
        "form": (form or AttachmentForm()) if can_add else None,
        "add_url": reverse("attachment_add", args=[label, obj.pk]),
        "panel_url": reverse("attachments", args=[label, obj.pk]),
        "panel_id": f"attachments-{label.replace('.', '-')}-{obj.pk}",
        "next_url": request.get_full_path() if not request.htmx else (request.htmx.current_url_abs_path or ""),
        "max_mb": settings.KLIENTURA_ATTACHMENT_MAX_MB,
        # Redrawn by htmx inside a card tab: the tab's count follows (out of band).
        "tab_count": bool(request.htmx) and label in _TABS,
    }


# --- Download -----------------------------------------------------------------------------------

# Types a browser would render or run: sent as plain bytes whatever the name says.
RENDERABLE = {"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
              "text/javascript", "application/javascript"}


def download_response(attachment):
    """The attachment's bytes as a download (``Content-Disposition: attachment`` with the original
    name, RFC 5987 for non-ASCII names); 404 when the file is missing."""
    from django.http import FileResponse, Http404

    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError, OSError):
        raise Http404 from None
    mime = attachment.mime_type if attachment.mime_type not in RENDERABLE else OCTET_STREAM
    response = FileResponse(handle, as_attachment=True, filename=attachment.name, content_type=mime)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
