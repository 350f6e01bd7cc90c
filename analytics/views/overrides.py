"""The head's override of a client's class / stage, opened from the client card (a page)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from clients.models import Counterparty
from core import access
from core.forms import BootstrapMixin
from core.models import ConflictError

from ..models import ABC, XYZ, ClassOverride, Stage
from ..services import overrides

KEEP = [("", gettext_lazy("— as computed —"))]


class OverrideForm(BootstrapMixin, forms.Form):
    abc = forms.ChoiceField(label=gettext_lazy("ABC class"), choices=KEEP + ABC.choices, required=False)
    stage = forms.ChoiceField(label=gettext_lazy("Relationship stage"), choices=KEEP + Stage.choices, required=False)
    xyz = forms.ChoiceField(label=gettext_lazy("XYZ class"), choices=KEEP + XYZ.choices, required=False)
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=2000)
    # Bounded: a forged huge version must be a 400, not an overflow when compared in the database.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class OverrideView(LoginRequiredMixin, View):
    """GET: the form; POST: set or change the override (heads only: 403; unseen client: 404)."""

    model = ClassOverride  # the access matrix walks this route (probe in analytics/tests/factories.py)
    template_name = "analytics/override_form.html"

    def client(self, pk):
        counterparty = get_object_or_404(Counterparty.objects.restrict(self.request.user, access.VIEW), pk=pk)
        overrides.check(counterparty, self.request.user)
        return counterparty

    def get(self, request, pk):
        counterparty = self.client(pk)
        override = overrides.live_override(counterparty)
        initial = {"abc": "", "stage": "", "xyz": "", "reason": "", "version": None}
        if override is not None:
            initial = {name: getattr(override, name) for name in initial}
        return self.render_form(counterparty, override, OverrideForm(initial=initial))

    def post(self, request, pk):
        counterparty = self.client(pk)
        form = OverrideForm(request.POST)
        override = overrides.live_override(counterparty)
        if not form.is_valid():
            return self.render_form(counterparty, override, form, status=400)
        data = form.cleaned_data
        try:
            saved = overrides.set_override(counterparty, request.user, abc=data["abc"], stage=data["stage"],
                                           xyz=data["xyz"], reason=data["reason"], version=data["version"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            return self.render_form(counterparty, override, form, status=400)
        except ConflictError as exc:
            return self.render_form(counterparty, exc.current, form, status=409, conflict=exc.current)
        messages.success(request, _("Override saved: %(name)s") % {"name": saved.counterparty})
        return HttpResponseRedirect(counterparty.get_absolute_url())

    def render_form(self, counterparty, override, form, status=200, conflict=None):
        return render(self.request, self.template_name, {
            "counterparty": counterparty, "override": override, "form": form, "conflict": conflict,
            "history": overrides.history(counterparty),
        }, status=status)


class OverrideRemoveView(LoginRequiredMixin, View):
    """POST: move the client's override to the trash (heads only); the computed values apply again."""

    model = ClassOverride

    def post(self, request, pk):
        counterparty = get_object_or_404(Counterparty.objects.restrict(request.user, access.VIEW), pk=pk)
        overrides.check(counterparty, request.user)
        try:
            version = OverrideForm.base_fields["version"].clean(request.POST.get("version"))
        except ValidationError as exc:
            return HttpResponseBadRequest(f"version: {' '.join(exc.messages)}",
                                          content_type="text/plain; charset=utf-8")
        try:
            removed = overrides.remove_override(counterparty, request.user, version=version)
        except ConflictError:
            messages.error(request, _("Someone else has changed the override meanwhile: check it and try again."))
            return HttpResponseRedirect(reverse("analytics:override", args=[counterparty.pk]))
        if removed is not None:
            messages.success(request, _("Override removed: the computed values apply."))
        return HttpResponseRedirect(counterparty.get_absolute_url())
