"""Documents from templates: generate, download, delete; template settings (administrators).

Generated files live in MEDIA_ROOT, which is never served by URL: every download goes through
``document_download``, which checks ``Document.objects.restrict(user, "view")``.
"""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from core import access
from core.pdf import PdfUnavailable
from core.views import generic

from ..filtersets import DocumentTemplateFilterSet
from ..forms import DocumentGenerateForm, DocumentTemplateForm
from ..models import Deal, Document, DocumentKind, DocumentTemplate, Order
from ..services import documents as service
from ..tables import DocumentTemplateTable


def _next_url(request, fallback):
    nxt = request.POST.get("next") or request.GET.get("next")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return nxt
    return fallback


def file_response(field_file, filename, content_type):
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response


def changeable_source(user, deal_id=None, order_id=None):
    """The deal or order a user may change (and so make documents of), else 404."""
    if not access.can(user, access.ADD, Document):
        raise Http404
    if deal_id:
        return get_object_or_404(Deal.objects.restrict(user, access.CHANGE).select_related("counterparty"),
                                 pk=deal_id)
    if order_id:
        return get_object_or_404(Order.objects.restrict(user, access.CHANGE).select_related("counterparty"),
                                 pk=order_id)
    raise Http404


class DocumentGenerateView(generic.RestrictedMixin, View):
    """POST kind, format, template?, language? and deal or order: make a document, go back."""

    model = Document

    def post(self, request):
        deal_id, order_id = request.POST.get("deal", ""), request.POST.get("order", "")
        source = changeable_source(request.user, deal_id if deal_id.isdigit() else None,
                                   order_id if order_id.isdigit() else None)
        back = _next_url(request, source.get_absolute_url())
        form = DocumentGenerateForm(request.POST)
        if not form.is_valid():
            errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
            messages.error(request, _("The document was not made: %(errors)s") % {"errors": " ".join(errors)})
            return HttpResponseRedirect(back)
        data = form.cleaned_data
        try:
            doc = service.generate(data["kind"], data["format"], source, request.user,
                                   template=data.get("template"), language=data.get("language") or None)
        except (service.DocumentError, PdfUnavailable) as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(back)
        messages.success(request, _("Document made: %(title)s") % {"title": doc.title})
        return HttpResponseRedirect(back)


class DocumentDownloadView(generic.RestrictedMixin, View):
    model = Document

    def get(self, request, pk):
        doc = get_object_or_404(self.get_queryset(access.VIEW), pk=pk)
        return file_response(doc.file, service.file_name(doc.title, doc.format), service.CONTENT_TYPES[doc.format])


class DocumentDeleteView(generic.ObjectDeleteView):
    """To the trash (restorable there); back to the deal or order the document was made from."""

    model = Document

    def after_delete_url(self, obj):
        source = obj.order or obj.deal
        return _next_url(self.request, source.get_absolute_url() if source else obj.counterparty.get_absolute_url())


# --- Settings (administrators): DOCX templates --------------------------------------------------

class DocumentTemplateListView(generic.ObjectListView):
    model = DocumentTemplate
    filterset_class = DocumentTemplateFilterSet
    table_class = DocumentTemplateTable
    template_name = "sales/document_template_list.html"
    add_url_name = "sales:template_add"

    def extra_context(self):
        return {"kinds": DocumentKind.choices}


class DocumentTemplateEditView(generic.ObjectEditView):
    model = DocumentTemplate
    form_class = DocumentTemplateForm
    template_name = "sales/document_template_edit.html"

    def get_form(self, obj, data=None):
        initial = {}
        if not obj.pk and self.request.GET.get("kind") in DocumentKind.values:
            initial["kind"] = self.request.GET["kind"]
        files = self.request.FILES if data is not None else None
        return self.form_class(data, files, instance=obj, user=self.request.user, initial=initial)

    def success_url(self, obj):
        return reverse("sales:template_list")

    def form_context(self, obj, form):
        return {"kinds": DocumentKind.choices, "tags": TEMPLATE_TAGS,
                "loop_tags": ("{%tr for line in lines %}", "{%tr endfor %}")}


# The tags an administrator may use in a DOCX template (shown on the template form).
TEMPLATE_TAGS = (
    "{{ heading }}", "{{ title }}", "{{ number }}", "{{ date }}", "{{ date_long }}",
    "{{ client.name }}", "{{ client.legal_name }}", "{{ client.tax_id }}", "{{ client.kpp }}",
    "{{ client.ogrn }}", "{{ client.address }}", "{{ client.phone }}", "{{ client.email }}",
    "{{ client.details }}", "{{ seller.name }}", "{{ seller.legal_name }}", "{{ seller.tax_id }}",
    "{{ seller.address }}", "{{ seller.phone }}", "{{ seller.bank }}", "{{ seller.details }}",
    "{%tr for line in lines %}", "{{ line.n }}", "{{ line.product }}", "{{ line.quantity }}",
    "{{ line.price }}", "{{ line.total }}", "{%tr endfor %}", "{{ total }}", "{{ currency }}",
    "{{ vat }}", "{{ vat_text }}", "{{ amount_in_words }}", "{{ due_date }}", "{{ manager }}",
    "{{ deal.title }}", "{{ order.number }}", "{{ order.date }}", "{{ labels.total }}",
)


class DocumentTemplateFileView(generic.RestrictedMixin, View):
    """The uploaded DOCX of a template, to edit it in a word processor."""

    model = DocumentTemplate

    def get(self, request, pk):
        template = get_object_or_404(self.get_queryset(access.VIEW), pk=pk)
        if not template.file:
            raise Http404
        name = service.file_name(template.name, "docx")
        return file_response(template.file, name, service.CONTENT_TYPES[Document.Format.DOCX])


class DocumentTemplateSampleView(generic.RestrictedMixin, View):
    """The built-in DOCX template of a kind: the starting point for an administrator's own."""

    model = DocumentTemplate

    def get(self, request, kind):
        if kind not in DocumentKind.values or not access.can(request.user, access.VIEW, DocumentTemplate):
            raise Http404
        path_ = service.builtin_template_path(kind)
        response = FileResponse(path_.open("rb"), as_attachment=True, filename=f"{kind}.docx",
                                content_type=service.CONTENT_TYPES[Document.Format.DOCX])
        return response
