"""Articles: list with full-text search, card, edit (HTML with a server-side preview), history,
trash; attachments uploaded on the card and downloaded only through ``AttachmentDownloadView``."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import View

from core import access
from core.views import generic

from . import search
from .filtersets import ArticleFilterSet
from .forms import ArticleForm, AttachmentForm
from .models import Article, ArticleAttachment, is_editor
from .sanitize import sanitize
from .tables import ArticleTable


class ArticleListView(generic.ObjectListView):
    """The table of articles; with a search text, the best matches with snippets instead."""

    model = Article
    filterset_class = ArticleFilterSet
    table_class = ArticleTable
    template_name = "knowledge/article_list.html"
    add_url_name = "knowledge:article_add"
    export_name = "articles"

    def get_base_queryset(self):
        return self.get_queryset().select_related("category", "author")

    def get(self, request):
        text = (request.GET.get("q") or "").strip()
        if not text or "count" in request.GET or request.GET.get("export"):
            return super().get(request)
        filterset, qs = self.filtered()
        start = search.start_of(request.GET.get("start"))
        results, more = search.search(qs, text, start, matched=True) if filterset.is_valid() else ([], False)
        query = self.query_without("cursor", "export", "count", "sort", "start")
        context = {"model": self.model, "opts": self.model._meta, "filterset": filterset, "results": results,
                   "search_text": text, "query": query, "saved_filters": self.saved_filters(),
                   "can_add": access.can(request.user, access.ADD, Article),
                   "add_url": reverse(self.add_url_name), "start": start, "first": start + 1,
                   "last": start + len(results), "more": more,
                   "prev_start": max(start - search.PAGE, 0), "next_start": start + search.PAGE}
        template = self.template_name
        if request.htmx and request.htmx.target == "object-table":
            template = "knowledge/article_list.html#results"
        return render(request, template, context, status=400 if filterset.errors else 200)


class ArticleDetailView(generic.ObjectDetailView):
    model = Article
    template_name = "knowledge/article_detail.html"

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("category", "author")

    def get_extra_context(self, obj):
        user = self.request.user
        can_change = access.may(user, access.CHANGE, obj)
        return {
            # Sanitised when stored; sanitised again when shown, in case a row was written around the model.
            "body": mark_safe(sanitize(obj.body)),  # noqa: S308
            "products": obj.products.restrict(user, access.VIEW),
            "competitors": obj.competitors.restrict(user, access.VIEW),
            "attachments": ArticleAttachment.objects.restrict(user).filter(article=obj).order_by("name", "pk"),
            "can_change": can_change,
            "can_delete": access.may(user, access.DELETE, obj),
            "attachment_form": AttachmentForm(user=user) if can_change else None,
        }


class ArticleEditView(generic.ObjectEditView):
    model = Article
    form_class = ArticleForm
    template_name = "knowledge/article_edit.html"
    delete_url_name = "knowledge:article_delete"

    def form_context(self, obj, form):
        return {"preview": mark_safe(sanitize(obj.body))}  # noqa: S308

    def save(self, form):
        if not form.instance.pk:
            form.instance.author = self.request.user
        return form.save()


class ArticleDeleteView(generic.ObjectDeleteView):
    model = Article
    success_url_name = "knowledge:article_list"


class ArticleHistoryView(generic.ObjectHistoryView):
    model = Article
    list_url_name = "knowledge:article_list"

    def records(self, obj):
        files = ArticleAttachment.history.filter(article_id=obj.pk).order_by("history_date")[:500]
        return super().records(obj) + list(files)


class PreviewView(generic.RestrictedMixin, View):
    """POST (htmx) from the editor: the body as it will be stored, sanitised."""

    model = Article

    def post(self, request):
        if not is_editor(request.user):
            raise PermissionDenied
        html = sanitize(request.POST.get("body", ""))
        return HttpResponse(html or format_html_join("", "<p class=\"text-body-secondary\">{}</p>",
                                                     [(_("Nothing to show yet."),)]))


class AttachmentAddView(generic.RestrictedMixin, View):
    """POST from the card: attach a file to an article the user may change."""

    model = Article

    def post(self, request, pk):
        article = get_object_or_404(Article.objects.restrict(request.user, access.CHANGE), pk=pk)
        if not access.can(request.user, access.ADD, ArticleAttachment):
            raise PermissionDenied
        form = AttachmentForm(request.POST, request.FILES, instance=ArticleAttachment(article=article),
                              user=request.user)
        if form.is_valid():
            try:
                form.save()
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Attached: %(name)s") % {"name": form.instance})
                return HttpResponseRedirect(article.get_absolute_url())
        detail = ArticleDetailView(request=request)
        context = {"object": article, **detail.get_extra_context(article), "attachment_form": form}
        return render(request, "knowledge/article_detail.html", context, status=400)


class AttachmentDownloadView(generic.RestrictedMixin, View):
    """The only way to an attachment's bytes: rows the user may see (drafts: editors only)."""

    model = ArticleAttachment

    def get(self, request, pk):
        attachment = get_object_or_404(ArticleAttachment.objects.restrict(request.user, access.VIEW), pk=pk)
        try:
            handle = attachment.file.open("rb")
        except (FileNotFoundError, ValueError):
            raise Http404 from None
        response = FileResponse(handle, as_attachment=True, filename=str(attachment))
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class AttachmentDeleteView(generic.ObjectDeleteView):
    model = ArticleAttachment

    def after_delete_url(self, obj):
        return obj.article.get_absolute_url()
