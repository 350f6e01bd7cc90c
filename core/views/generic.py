"""Generic list / detail / edit / delete / trash views: CRUD written once (NetBox-style).

A model's views are a few declarative lines: model, filterset, table, form, templates.
Every view narrows rows with ``restrict(user, action)``.
"""

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from core import access, history, registry
from core.export import csv_response, xlsx_response
from core.models import ConflictError, SavedFilter
from core.pagination import paginate

PER_PAGE_CHOICES = (25, 50, 100)


class RestrictedMixin(LoginRequiredMixin):
    model = None
    action = access.VIEW
    walk = False  # the scope in its form for index walks (core.models.walking)

    def get_queryset(self, action=None):
        return self.model.objects.restrict(self.request.user, action or self.action, walk=self.walk)

    def model_label(self):
        return self.model._meta.label_lower


class ObjectListView(RestrictedMixin, View):
    filterset_class = None
    table_class = None
    template_name = "core/object_list.html"
    export_name = None
    add_url_name = None  # the Add button's route
    # Unfiltered pages walk the sort index with the scope checked per row (core.models.walking).
    # Off where a sales manager's rows lie far apart in the list's order (measured: the deals by
    # creation walked 10 000 rows for a page at a million clients).
    walks = True

    def get_base_queryset(self):
        return self.get_queryset()

    def filtered(self):
        qs = self.get_base_queryset()
        filterset = self.filterset_class(self.request.GET, queryset=qs, request=self.request)
        return filterset, (filterset.qs if filterset.is_valid() else qs.none())

    def get(self, request):
        # An unfiltered page walks the sort index and stops after a page; filters (which may
        # match few rows far apart), counts and exports read many rows: there the database
        # collects a manager's clients once.
        self.walk = self.walks and not (set(request.GET) & {"count", "export", *self.filterset_class.base_filters})
        filterset, qs = self.filtered()
        status = 400 if filterset.errors else 200
        if status == 400 and ("count" in request.GET or request.GET.get("export")):
            return filter_errors_response(filterset)
        if "count" in request.GET:
            # Exact totals cost a scan: only when the user asks for them.
            count = qs.count()
            return HttpResponse(ngettext("%(count)s row", "%(count)s rows", count) % {"count": count})
        qs = self.table_class.prepare(qs)  # what columns other apps registered read (core.tables)
        sort, ordering = self.table_class.ordering_for(request.GET.get("sort"))
        export = request.GET.get("export")
        if export in ("csv", "xlsx"):
            return self.export(qs.order_by(*ordering), export)
        per_page = _int(request.GET.get("per_page"), 50, PER_PAGE_CHOICES)
        page = paginate(qs, ordering, request.GET.get("cursor"), per_page)
        table = self.table_class(page.items, sort=sort)
        context = {
            "model": self.model,
            "opts": self.model._meta,
            "filterset": filterset,
            "table": table,
            "page": page,
            "sort": sort,
            "per_page": per_page,
            "query": self.query_without("cursor", "export", "count", "sort"),
            "saved_filters": self.saved_filters(),
            "can_add": access.can(request.user, access.ADD, self.model),
            "can_change": access.can(request.user, access.CHANGE, self.model),
            "add_url": reverse(self.add_url_name) if self.add_url_name else None,
            **self.extra_context(),
        }
        template = self.template_name
        if request.htmx and request.htmx.target == "object-table":
            template = "core/object_list.html#table"  # every list shares the table partial
        return render(request, template, context, status=status)

    def extra_context(self):
        return {}

    def query_without(self, *keys):
        params = [(k, v) for k, values in self.request.GET.lists() if k not in keys for v in values]
        return urlencode(params)

    def saved_filters(self):
        from django.db.models import Q

        return SavedFilter.objects.filter(target=self.model_label()).filter(
            Q(user=self.request.user) | Q(shared=True)
        )

    def export(self, qs, kind):
        rows = self.table_class(qs.iterator(chunk_size=2000)).export_rows()
        name = self.export_name or self.model._meta.model_name
        if kind == "csv":
            return csv_response(rows, name)
        return xlsx_response(rows, name, title=str(self.model._meta.verbose_name_plural))


def filter_errors_response(filterset):
    """A filter that cannot be applied is the user's error: 400 naming the field, never an
    empty (or whole) export that looks like an answer; pages re-show the form with status 400."""
    text = "\n".join(f"{filterset.form[name].label if name in filterset.form.fields else name}: {error}"
                     for name, errors in filterset.errors.items() for error in errors)
    return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")


def _int(value, default, allowed):
    try:
        value = int(value)
    except (TypeError, ValueError):
        return default
    return value if value in allowed else default


class ObjectDetailView(RestrictedMixin, View):
    template_name = None

    def get_object(self, pk, action=access.VIEW):
        return get_object_or_404(self.get_queryset(action), pk=pk)

    def get(self, request, pk):
        obj = self.get_object(pk)
        return render(request, self.template_name, {"object": obj, **self.get_extra_context(obj)})

    def get_extra_context(self, obj):
        return {}


class ObjectHistoryView(ObjectDetailView):
    """A record's changes, oldest first, with a link back to ``list_url_name``; ``records(obj)``
    may add the history of rows edited with it (a campaign's cost lines)."""

    template_name = "core/object_history.html"
    list_url_name = None

    def records(self, obj):
        return list(self.model.history.filter(id=obj.pk).order_by("history_date")[:500])

    def get_extra_context(self, obj):
        records = sorted(self.records(obj), key=lambda r: r.history_date)
        return {"entries": history.entries(records), "opts": self.model._meta,
                "list_url": reverse(self.list_url_name) if self.list_url_name else None}


class ObjectEditView(RestrictedMixin, View):
    """Create (pk is None) or edit; a stale version is refused with the other user's change.

    ``formsets`` declares inline formsets edited on the same page, ``{name: (class, prefix)}``:
    they are validated with the form and saved with it in one transaction. A form and formsets
    posted back unchanged save nothing (no version bump, no history entry). The saved object is
    checked against the user's scope again before the transaction commits (NetBox-style).
    """

    form_class = None
    template_name = "core/object_edit.html"
    formsets = {}

    def get_object(self, pk):
        if pk is None:
            if not access.can(self.request.user, access.ADD, self.model):
                raise PermissionDenied
            return self.model()
        return get_object_or_404(self.get_queryset(access.CHANGE), pk=pk)

    def get_form(self, obj, data=None):
        return self.form_class(data, instance=obj, user=self.request.user)

    def get_formsets(self, obj, data=None):
        if getattr(self, "_formsets", None) is None:
            self._formsets = {
                name: formset_class(data, instance=obj, prefix=prefix, user=self.request.user)
                for name, (formset_class, prefix) in self.formsets.items()
            }
        return self._formsets

    def get(self, request, pk=None, **kwargs):
        obj = self.get_object(pk)
        return self.render_form(obj, self.get_form(obj))

    def post(self, request, pk=None, **kwargs):
        obj = self.get_object(pk)
        form = self.get_form(obj, request.POST)
        formsets = self.get_formsets(obj, request.POST)
        valid = form.is_valid() & all([fs.is_valid() for fs in formsets.values()])
        if valid:
            valid = self.validate(form, formsets)
        if not valid:
            return self.render_form(obj, form, status=400)
        if obj.pk and not self.has_changed(form, formsets):
            messages.info(request, _("Nothing was changed: %(name)s") % {"name": obj})
            return HttpResponseRedirect(self.success_url(obj))
        try:
            with transaction.atomic():
                obj = self.save(form)
                for formset in formsets.values():
                    formset.instance = obj
                    formset.save()
                self.after_save(obj)
                self.check_scope(obj)
        except ConflictError as exc:
            return self.render_form(obj, form, status=409, conflict=exc.current)
        messages.success(request, _("Saved: %(name)s") % {"name": obj})
        return HttpResponseRedirect(self.success_url(obj))

    def validate(self, form, formsets):
        """Checks across the form and its formsets, after each is valid; False re-shows the form."""
        return True

    @staticmethod
    def has_changed(form, formsets):
        lines = getattr(form, "lines", None)  # a formset the form carries itself (deals, orders)
        nested = [lines] if lines is not None else []
        return form.has_changed() or any(fs.has_changed() for fs in [*formsets.values(), *nested])

    def after_save(self, obj):
        """Inside the transaction, after the object and its formsets are saved."""

    def check_scope(self, obj):
        """The saved object must still be one the user may change: otherwise roll back."""
        if not self.model.objects.restrict(self.request.user, access.CHANGE).filter(pk=obj.pk).exists():
            raise PermissionDenied

    def save(self, form):
        return form.save()

    def success_url(self, obj):
        nxt = self.request.POST.get("next") or self.request.GET.get("next")
        if nxt and nxt.startswith("/") and not nxt.startswith("//"):
            return nxt
        return obj.get_absolute_url()

    delete_url_name = None

    def render_form(self, obj, form, status=200, conflict=None, **extra):
        delete_url = reverse(self.delete_url_name, args=[obj.pk]) if obj.pk and self.delete_url_name else None
        context = {
            "delete_url": delete_url, "formsets": self.get_formsets(obj),
            "object": obj, "form": form, "opts": self.model._meta, "conflict": conflict,
            "conflict_changes": conflict_changes(form, conflict) if conflict else None,
            **self.form_context(obj, form), **extra,
        }
        return render(self.request, self.template_name, context, status=status)

    def form_context(self, obj, form):
        return {}


def conflict_changes(form, current):
    """Fields the other user changed since the version this form was based on, as people read them."""
    base_version = form.cleaned_data.get("version")
    base = current.history.filter(version=base_version).order_by("-history_date").first()
    if base is None:
        return []
    rows = []
    for name, field in form.fields.items():
        if field.widget.is_hidden:  # the version and other bookkeeping
            continue
        try:
            model_field = current._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        mine = form.cleaned_data.get(name)
        if model_field.many_to_many:
            theirs = list(getattr(current, name).all())
            if {o.pk for o in theirs} == {o.pk for o in mine or []}:
                continue
            rows.append({"label": field.label, "before": _set_before(base, model_field),
                         "theirs": _shown(model_field, theirs), "mine": _shown(model_field, mine)})
            continue
        if getattr(base, model_field.attname, None) == getattr(current, model_field.attname):
            continue
        rows.append({"label": field.label, "before": _shown(model_field, _value(base, model_field)),
                     "theirs": _shown(model_field, _value(current, model_field)),
                     "mine": _shown(model_field, mine)})
    return rows


def _set_before(base, model_field):
    """A many-to-many set as the version the form was based on kept it (core.models.History)."""
    if model_field not in history.m2m_fields(model_field.model):
        return _("not recorded")
    target = model_field.m2m_reverse_field_name()
    ids = getattr(base, model_field.name).values_list(f"{target}_id", flat=True)
    related = model_field.related_model
    return _shown(model_field, list(getattr(related, "all_objects", related._default_manager).filter(pk__in=ids)))


def _value(obj, model_field):
    try:
        return getattr(obj, model_field.name if model_field.is_relation else model_field.attname)
    except ObjectDoesNotExist:  # a related row removed for good since
        return None


def _shown(model_field, value):
    """A value as the form shows it: names, choice labels, Yes/No, local dates; "—" for empty."""
    if value is None or value == "":
        return "—"
    if model_field.many_to_many:
        return ", ".join(str(o) for o in value) or "—"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return str(formats.localize(value))


class ObjectDeleteView(RestrictedMixin, View):
    template_name = "core/object_delete.html"
    success_url_name = None

    def get_object(self, pk):
        return get_object_or_404(self.get_queryset(access.DELETE), pk=pk)

    def get(self, request, pk):
        return render(request, self.template_name, {"object": self.get_object(pk),
                                                    "opts": self.model._meta})

    def post(self, request, pk):
        obj = self.get_object(pk)
        obj.delete()
        messages.success(request, _("Moved to the trash: %(name)s") % {"name": obj})
        return HttpResponseRedirect(self.after_delete_url(obj))

    def after_delete_url(self, obj):
        return reverse(self.success_url_name)


class TrashView(RestrictedMixin, View):
    """Deleted records of the models a user may delete, newest first, with restore."""

    template_name = "core/trash.html"

    def get(self, request):
        sections = []
        for model in registry.TRASH_MODELS:
            qs = model.all_objects.trashed().restrict(request.user, access.DELETE)
            rows = list(qs.order_by("-deleted_at", "-id")[:100])
            if rows:
                sections.append({"opts": model._meta, "rows": rows})
        return render(request, self.template_name, {"sections": sections})


class RestoreView(RestrictedMixin, View):
    def post(self, request, label, pk):
        model = next((m for m in registry.TRASH_MODELS if m._meta.label_lower == label), None)
        if model is None:
            raise Http404
        obj = get_object_or_404(model.all_objects.trashed().restrict(request.user, access.DELETE), pk=pk)
        try:
            obj.restore()
        except ValidationError as exc:  # what it depends on changed since it was deleted
            messages.error(request, _("%(name)s cannot be restored: %(reason)s")
                           % {"name": obj, "reason": " ".join(exc.messages)})
        else:
            messages.success(request, _("Restored: %(name)s") % {"name": obj})
        return HttpResponseRedirect(reverse("trash"))
