"""The duplicates page (pairs found by the scan) and the merge screen (clients.merge)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from core import access
from core.pagination import paginate
from core.views import generic

from . import duplicates, merge
from .models import Counterparty, DuplicateScan

REASON_LABELS = {
    duplicates.TAX_ID: gettext_lazy("same tax id"),
    duplicates.PHONE: gettext_lazy("same phone"),
    duplicates.EMAIL: gettext_lazy("same email"),
    duplicates.NAME: gettext_lazy("similar name"),
}
PER_PAGE = 50


class DuplicateListView(generic.RestrictedMixin, View):
    """Open pairs both of whose clients the user sees, best first; no COUNT, keyset pages."""

    model = Counterparty
    template_name = "clients/duplicate_list.html"

    def get(self, request):
        qs = duplicates.visible_pairs(request.user).select_related(
            "first", "second", "first__main_manager", "second__main_manager")
        page = paginate(qs, ["-score", "id"], request.GET.get("cursor"), PER_PAGE)
        changeable = set(Counterparty.objects.restrict(request.user, access.CHANGE).filter(
            pk__in={pk for p in page.items for pk in (p.first_id, p.second_id)}).values_list("pk", flat=True))
        for pair in page.items:
            pair.reason_labels = [REASON_LABELS.get(r, r) for r in pair.reasons]
            pair.may_merge = {pair.first_id, pair.second_id} <= changeable
        last = DuplicateScan.objects.order_by("-created_at", "-id").first()
        return render(request, self.template_name, {
            "page": page, "last_scan": last, "may_rescan": duplicates.may_rescan(request.user),
            "scanning": last is not None and last.status in (DuplicateScan.Status.QUEUED, DuplicateScan.Status.RUNNING),
        })


class DuplicateScanView(generic.RestrictedMixin, View):
    """POST: queue a scan of the whole base (heads and administrators)."""

    model = Counterparty

    def post(self, request):
        if not duplicates.may_rescan(request.user):
            raise PermissionDenied
        duplicates.start_scan(request.user)
        messages.success(request, _("The scan is queued: the list is renewed when the worker has finished it."))
        return HttpResponseRedirect(reverse("clients:duplicate_list"))


class DuplicateDismissView(generic.RestrictedMixin, View):
    """POST: "not duplicates" — hides the pair from this and every later scan."""

    model = Counterparty

    def post(self, request, pk):
        pair = get_object_or_404(duplicates.visible_pairs(request.user, access.CHANGE), pk=pk)
        duplicates.dismiss(pair, request.user)
        messages.success(request, _("Marked as not duplicates: %(first)s and %(second)s")
                         % {"first": pair.first, "second": pair.second})
        return HttpResponseRedirect(reverse("clients:duplicate_list"))


# --- The merge screen --------------------------------------------------------------------------

def _shown(obj, field):
    if field.name == "properties":
        return "; ".join(f"{k}: {v}" for k, v in sorted((obj.properties or {}).items())) or "—"
    value = getattr(obj, field.name) if field.is_relation else getattr(obj, field.attname)
    return generic._shown(field, value)


class MergeForm(forms.Form):
    """A survivor / merged choice for every field where the two records differ."""

    survivor_version = forms.IntegerField(widget=forms.HiddenInput)
    merged_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, survivor, merged, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        defaults = merge.default_choices(survivor, merged)
        for field in merge.merge_fields():
            mine, theirs = _shown(survivor, field), _shown(merged, field)
            if getattr(survivor, field.attname) == getattr(merged, field.attname):
                self.rows.append({"label": field.verbose_name, "survivor": mine, "merged": theirs, "field": None})
                continue
            self.fields[field.name] = forms.ChoiceField(
                label=field.verbose_name, initial=defaults[field.name], widget=forms.RadioSelect, required=False,
                choices=[(merge.SURVIVOR, mine), (merge.MERGED, theirs)])
            self.rows.append({"label": field.verbose_name, "survivor": mine, "merged": theirs,
                              "field": self[field.name]})

    def choices(self):
        """The choices made; a field left out keeps its default (clients.merge.default_choices)."""
        return {name: value for name, value in self.cleaned_data.items()
                if value and not name.endswith("_version")}


class MergeView(generic.RestrictedMixin, View):
    """Pick the values, preview, confirm: ``merged`` goes into ``pk`` (the survivor)."""

    model = Counterparty
    template_name = "clients/merge.html"

    def objects(self, pk, merged):
        qs = Counterparty.objects.restrict(self.request.user, access.CHANGE).select_related(
            "main_manager", "group", "relationship_type", "region", "industry")
        survivor = get_object_or_404(qs, pk=pk)
        other = get_object_or_404(qs, pk=merged)
        if survivor.pk == other.pk:
            raise PermissionDenied
        return survivor, other

    def get(self, request, pk, merged):
        survivor, other = self.objects(pk, merged)
        form = MergeForm(initial={"survivor_version": survivor.version, "merged_version": other.version},
                         survivor=survivor, merged=other)
        return self.render(survivor, other, form)

    def post(self, request, pk, merged):
        survivor, other = self.objects(pk, merged)
        form = MergeForm(request.POST, survivor=survivor, merged=other)
        if not form.is_valid():
            return self.render(survivor, other, form, status=400)
        if "confirm" not in request.POST:
            try:
                preview = self.preview(survivor, other, form)
            except ValidationError as exc:
                self.add_errors(form, exc)
                return self.render(survivor, other, form, status=400)
            return self.render(survivor, other, form, preview=preview)
        try:
            merge.merge(survivor, other, user=request.user, fields=form.choices(),
                        survivor_version=form.cleaned_data["survivor_version"],
                        merged_version=form.cleaned_data["merged_version"])
        except merge.MergeConflict as exc:
            form.add_error(None, str(exc))
            return self.render(survivor, other, form, status=409)
        except ValidationError as exc:
            self.add_errors(form, exc)
            return self.render(survivor, other, form, status=400)
        except PermissionDenied:
            form.add_error(None, _("After this merge the client would no longer be yours: "
                                   "keep your main manager or ask a head."))
            return self.render(survivor, other, form, status=403)
        messages.success(request, _("Merged: %(merged)s into %(survivor)s") % {"merged": other, "survivor": survivor})
        return HttpResponseRedirect(survivor.get_absolute_url())

    @staticmethod
    def add_errors(form, exc):
        """Errors on the field's row when the form has it, else above the form naming the field."""
        for name, errors in exc.message_dict.items():
            if name in form.fields:
                form.add_error(name, errors)
                continue
            try:
                label = Counterparty._meta.get_field(name).verbose_name
            except FieldDoesNotExist:  # "merged", "survivor", "__all__"
                label = None
            form.add_error(None, [f"{label}: {e}" if label else e for e in errors])

    def preview(self, survivor, other, form):
        result = Counterparty.all_objects.get(pk=survivor.pk)
        choices = merge.resolve_choices(survivor, other, form.choices(), self.request.user)
        merge.apply_choices(result, other, choices)
        return {"values": [(f.verbose_name, _shown(result, f)) for f in merge.merge_fields()],
                "moves": merge.plan(other)}

    def render(self, survivor, other, form, status=200, preview=None):
        return render(self.request, self.template_name, {
            "survivor": survivor, "merged": other, "form": form, "preview": preview,
            "swap_url": reverse("clients:counterparty_merge", args=[other.pk, survivor.pk]),
        }, status=status)
