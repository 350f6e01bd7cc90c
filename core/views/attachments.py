"""Attachments of a record (core.attachments): its panel (or client-card tab), upload, download
and delete. The record decides access: 404 for a record the user may not see (or change, to
upload), exactly as its own card would answer."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views import View

from core import access
from core import attachments as service
from core.forms import AttachmentForm
from core.models import Attachment
from core.views import generic

PANEL = "core/attachments/panel.html"
PAGE = "core/attachments/page.html"


def record_or_404(user, label, pk, action):
    model = service.registered_model(label)
    if model is None:
        raise Http404
    return get_object_or_404(model.objects.restrict(user, action), pk=pk)


def safe_next(request, default):
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt.startswith("/") and not nxt.startswith("//") and "\\" not in nxt:
        return nxt
    return default


def render_panel(request, record, form=None, status=200):
    """The panel alone for htmx; without JavaScript, a page around it."""
    context = {"object": record, **service.panel_context(request, record, form)}
    return render(request, PANEL if request.htmx else PAGE, context, status=status)


class AttachmentsView(generic.RestrictedMixin, View):
    """GET: the record's attachments and, for who may change it, the upload form."""

    model = Attachment

    def get(self, request, label, pk):
        return render_panel(request, record_or_404(request.user, label, pk, access.VIEW))


class AttachmentAddView(generic.RestrictedMixin, View):
    """POST (multipart): attach a file to a record the user may change."""

    model = Attachment

    def post(self, request, label, pk):
        record = record_or_404(request.user, label, pk, access.CHANGE)
        form = AttachmentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                attachment = service.attach(record, form.cleaned_data["file"], user=request.user,
                                            description=form.cleaned_data["description"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if request.htmx:
                    return render_panel(request, record)
                messages.success(request, _("Attached: %(name)s") % {"name": attachment})
                return HttpResponseRedirect(safe_next(request, record.get_absolute_url()))
        return render_panel(request, record, form, status=400)


class AttachmentDownloadView(generic.ObjectDetailView):
    """The only way to an attachment's bytes: of records the user may see, not in the trash."""

    model = Attachment

    def get(self, request, pk):
        return service.download_response(self.get_object(pk))


class AttachmentDeleteView(generic.ObjectDeleteView):
    """To the trash (restorable there) — by who may change the record."""

    model = Attachment

    def post(self, request, pk):
        attachment = self.get_object(pk)
        record = attachment.record
        attachment._history_user = request.user
        attachment.delete()
        if request.htmx:
            return render_panel(request, record)
        messages.success(request, _("Moved to the trash: %(name)s") % {"name": attachment})
        return HttpResponseRedirect(safe_next(request, record.get_absolute_url()))
