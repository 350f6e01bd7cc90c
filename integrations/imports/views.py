"""Import pages: the list, the upload, and one page per job that follows its state — mapping,
the progress of a big file's validation, the preview with the validation report and the
decisions, then the progress bar of the run and the outcome."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from core import access
from core.views.generic import ObjectListView, RestrictedMixin

from ..models import ImportJob, ImportKind, RowAction
from . import fields, kinds, services
from .filtersets import ImportJobFilterSet
from .forms import DecisionsForm, MappingForm, UploadForm
from .tables import ImportJobTable

State = ImportJob.State


def validation_messages(exc):
    if hasattr(exc, "message_dict"):
        return [m for messages_ in exc.message_dict.values() for m in messages_]
    return exc.messages


class ImportListView(ObjectListView):
    model = ImportJob
    filterset_class = ImportJobFilterSet
    table_class = ImportJobTable
    export_name = "imports"
    add_url_name = "integrations:import_add"

    def get_base_queryset(self):
        return self.get_queryset().select_related("created_by")

    def extra_context(self):
        return {"can_add": services.may_import(self.request.user)}


class ImportUploadView(RestrictedMixin, View):
    model = ImportJob
    template_name = "integrations/imports/upload.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not services.may_import(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        kind = request.GET.get("kind")  # ?kind=products preselects the kind
        initial = {"kind": kind} if kind in ImportKind.values else {}
        return render(request, self.template_name, {"form": UploadForm(user=request.user, initial=initial)})

    def post(self, request):
        kind = request.POST.get("kind")
        if kind in ImportKind.values and not services.may_import(request.user, kind):
            raise PermissionDenied  # a kind the role may not import (products: not a sales manager)
        form = UploadForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                job = services.create_job(request.user, form.cleaned_data["file"], form.cleaned_data["kind"])
            except ValidationError as exc:
                for message in validation_messages(exc):
                    form.add_error("file", message)
            else:
                validate_or_say_why(request, services.validate_when_mapped, job)
                return HttpResponseRedirect(job.get_absolute_url())
        return render(request, self.template_name, {"form": form}, status=400)


def validate_or_say_why(request, validation, job):
    """Run ``validation(job)``; a refusal becomes a message on the job's page."""
    try:
        validation(job)
    except ValidationError as exc:
        messages.error(request, " ".join(validation_messages(exc)))


class JobMixin(RestrictedMixin):
    model = ImportJob

    def get_job(self, pk, action=access.VIEW):
        return get_object_or_404(self.get_queryset(action).select_related("created_by", "started_by"), pk=pk)


def page_context(request, job, mapping_form=None, decisions_form=None):
    user = request.user
    can_change = access.may(user, access.CHANGE, job)
    progress, step = services.live_progress(job)
    importer = kinds.get(job.kind)
    context = {"job": job, "can_change": can_change, "progress": progress, "step": step,
               "labels": fields.labels(job.kind), "importer": importer,
               "actions": [(value, label) for value, label in RowAction.choices if value in importer.actions],
               "stalled": services.validation_stalled(job)}
    if job.state in (State.UPLOADED, State.MAPPED, State.VALIDATING, State.VALIDATED):
        context["mapping_form"] = mapping_form or MappingForm(job=job, can_share=access.can_assign(user))
    if job.state == State.VALIDATED:
        context["decisions_form"] = decisions_form or DecisionsForm(
            initial={"policy": job.policy, "skip_errors": job.skip_errors}, kind=job.kind)
        context["preview_rows"] = [display_row(importer, r) for r in job.preview]
        context["flagged_rows"] = [display_row(importer, r) for r in job.flagged]
    return context


def display_row(importer, row):
    """A preview row as the table shows it: the kind's columns in order, the reasons in words."""
    values = row.get("values", {})
    matches = [{**m, "reasons": [importer.reason_labels.get(r, r) for r in m.get("reasons", [])],
                "url": reverse(importer.match_url_name, args=[m["id"]]) if m.get("id") and importer.match_url_name
                else ""} for m in row.get("matches", [])]
    return {**row, "cells": [values.get(key) or "" for key, _label in importer.preview_columns],
            "duplicate_text": importer.duplicate_text(row["duplicate_of"]) if row.get("duplicate_of") else "",
            "matches": matches}


class ImportDetailView(JobMixin, View):
    def get(self, request, pk):
        job = self.get_job(pk)
        return render(request, "integrations/imports/job.html", page_context(request, job))


class ImportStatusView(JobMixin, View):
    """The progress block alone, polled by htmx every second while the rows are validated in the
    worker or the import runs. A validation over: the whole page again (the preview)."""

    def get(self, request, pk):
        job = self.get_job(pk)
        if job.state in (State.UPLOADED, State.MAPPED, State.VALIDATED):
            return HttpResponse(headers={"HX-Refresh": "true"})
        return render(request, "integrations/imports/job.html#status", page_context(request, job))


class ImportMappingView(JobMixin, View):
    """Save the mapping (and remember it), then validate every row: the preview (a big file: its
    progress, then the preview)."""

    def post(self, request, pk):
        job = self.get_job(pk, access.CHANGE)
        form = MappingForm(request.POST, job=job, can_share=access.can_assign(request.user))
        if not form.is_valid():
            return render(request, "integrations/imports/job.html", page_context(request, job, mapping_form=form),
                          status=400)
        try:
            services.set_mapping(job, form.mapping(), remember=form.cleaned_data.get("remember"),
                                 shared=form.cleaned_data.get("shared"), user=request.user)
            services.request_validation(job)
        except ValidationError as exc:
            for message in validation_messages(exc):
                form.add_error(None, message)
            return render(request, "integrations/imports/job.html", page_context(request, job, mapping_form=form),
                          status=400)
        return HttpResponseRedirect(job.get_absolute_url() + "#preview")


def posted_overrides(request, job):
    """{row: action} of the per-row choices posted with the preview (``row_<n>``)."""
    overrides = dict(job.overrides or {})
    for key, value in request.POST.items():
        if key.startswith("row_") and key[4:].isdigit():
            if value in RowAction.values:
                overrides[key[4:]] = value
            elif value == "":
                overrides.pop(key[4:], None)
    return overrides


class ImportDecisionsView(JobMixin, View):
    """Apply the default policy and the per-row decisions: the preview is computed again (a big
    file's in the worker — unless it is run now: the run validates the rows with them anyway)."""

    def post(self, request, pk):
        job = self.get_job(pk, access.CHANGE)
        form = DecisionsForm(request.POST, kind=job.kind)
        if job.state != State.VALIDATED or not form.is_valid():
            return render(request, "integrations/imports/job.html",
                          page_context(request, job, decisions_form=form), status=400)
        services.set_decisions(job, form.cleaned_data["policy"], posted_overrides(request, job),
                               form.cleaned_data["skip_errors"])
        if "run" in request.POST:
            if services.validates_inline(job):
                services.validate(job)
            return ImportRunView.start(request, job)
        validate_or_say_why(request, services.request_validation, job)
        return HttpResponseRedirect(job.get_absolute_url() + "#preview")


class ImportRunView(JobMixin, View):
    def post(self, request, pk):
        job = self.get_job(pk, access.CHANGE)
        return self.start(request, job)

    @staticmethod
    def start(request, job):
        try:
            with transaction.atomic():
                services.start(job, request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(validation_messages(exc)))
        return HttpResponseRedirect(job.get_absolute_url())


class ImportCancelView(JobMixin, View):
    def post(self, request, pk):
        job = self.get_job(pk, access.CHANGE)
        try:
            services.cancel(job)
        except ValidationError as exc:
            messages.error(request, " ".join(validation_messages(exc)))
        else:
            messages.info(request, _("The import is being cancelled: nothing of it is kept.")
                          if job.state == State.RUNNING else _("The import was cancelled."))
        return HttpResponseRedirect(job.get_absolute_url())


class ImportErrorsView(JobMixin, View):
    """The rows with errors as an XLSX, with a last column of the messages."""

    def get(self, request, pk):
        job = self.get_job(pk)
        try:
            content = services.errors_xlsx(job)
        except ValidationError as exc:
            return HttpResponse(" ".join(validation_messages(exc)), status=400,
                                content_type="text/plain; charset=utf-8")
        response = HttpResponse(content,
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.xlsx"'
        return response

