"""Telemarketing pages: call scripts, call lists (progress, entries, results), the operator screen."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from core import access
from core.models import ConflictError
from core.views import generic

from . import call_lists
from .call_forms import (
    CallListFilterSet,
    CallListForm,
    CallListTable,
    CallQuestionFormSet,
    CallResultForm,
    CallScriptFilterSet,
    CallScriptForm,
    CallScriptTable,
    EntryFilterSet,
)
from .models import CallList, CallListEntry, CallScript

ROWS = 200


# --- Scripts --------------------------------------------------------------------------------------

class ScriptListView(generic.ObjectListView):
    model = CallScript
    filterset_class = CallScriptFilterSet
    table_class = CallScriptTable
    add_url_name = "marketing:callscript_add"


class ScriptDetailView(generic.ObjectDetailView):
    model = CallScript
    template_name = "marketing/callscript_detail.html"

    def get_extra_context(self, obj):
        return {"questions": obj.live_questions(),
                "can_change": access.can(self.request.user, access.CHANGE, CallScript)}


class ScriptEditView(generic.ObjectEditView):
    model = CallScript
    form_class = CallScriptForm
    template_name = "marketing/callscript_edit.html"
    delete_url_name = "marketing:callscript_delete"
    formsets = {"questions": (CallQuestionFormSet, "question")}


class ScriptDeleteView(generic.ObjectDeleteView):
    model = CallScript
    success_url_name = "marketing:callscript_list"


class ScriptHistoryView(generic.ObjectHistoryView):
    model = CallScript
    list_url_name = "marketing:callscript_list"

    def records(self, obj):
        questions = obj.questions.model.history.filter(script_id=obj.pk).order_by("history_date")[:500]
        return super().records(obj) + list(questions)


# --- Lists ----------------------------------------------------------------------------------------

class ListListView(generic.ObjectListView):
    model = CallList
    filterset_class = CallListFilterSet
    table_class = CallListTable
    add_url_name = "marketing:calllist_add"
    export_name = "call-lists"

    def get_base_queryset(self):
        return self.get_queryset().select_related("campaign", "script", "segment", "group", "responsible")


class ListDetailView(generic.ObjectDetailView):
    """Progress, the entries (filtered), their results; a sales manager sees their clients' only."""

    model = CallList
    template_name = "marketing/calllist_detail.html"

    def get_extra_context(self, obj):
        user = self.request.user
        entries = CallListEntry.objects.restrict(user).filter(call_list=obj).select_related(
            "counterparty", "contact_person", "operator", "interaction")
        filterset = EntryFilterSet(self.request.GET, queryset=entries, request=self.request)
        rows = list((filterset.qs if filterset.is_valid() else entries.none()).order_by("pk")[:ROWS + 1])
        return {"progress": call_lists.progress(obj, user), "entries": rows[:ROWS], "more": len(rows) > ROWS,
                "filters": filterset.form, "can_change": access.can(user, access.CHANGE, CallList),
                "can_call": call_lists.may_call(obj, user),
                "can_delete_entries": access.can(user, access.DELETE, CallListEntry)}


class ListEditView(generic.ObjectEditView):
    """A new list is filled from its source as it is saved (a snapshot)."""

    model = CallList
    form_class = CallListForm
    delete_url_name = "marketing:calllist_delete"

    def after_save(self, obj):
        if obj.filled_at is None:
            added, skipped = call_lists.fill(obj, self.request.user)
            filled_message(self.request, added, skipped)


def filled_message(request, added, skipped):
    text = _("Clients added to the list: %(added)s.") % {"added": added}
    if skipped:
        text += " " + _("Without a phone, skipped: %(skipped)s.") % {"skipped": skipped}
    messages.info(request, text)


class ListDeleteView(generic.ObjectDeleteView):
    model = CallList
    success_url_name = "marketing:calllist_list"


class ListHistoryView(generic.ObjectHistoryView):
    model = CallList
    list_url_name = "marketing:calllist_list"


class ListFillView(generic.RestrictedMixin, View):
    """POST: add the source's clients who joined it since (those already on the list stay)."""

    model = CallList

    def post(self, request, pk):
        call_list = get_object_or_404(self.get_queryset(access.CHANGE), pk=pk)
        added, skipped = call_lists.fill(call_list, request.user)
        filled_message(request, added, skipped)
        return HttpResponseRedirect(call_list.get_absolute_url())


class EntryDeleteView(generic.ObjectDeleteView):
    """Take a client off the list (to the trash): whoever may change the client's entries."""

    model = CallListEntry

    def after_delete_url(self, obj):
        return obj.call_list.get_absolute_url()


# --- The operator screen --------------------------------------------------------------------------

class NextCallView(generic.RestrictedMixin, View):
    """The next call for the operator: the entry they hold, else the next due one, taken for them."""

    model = CallList
    template_name = "marketing/call_next.html"

    def get(self, request, pk):
        call_list = get_object_or_404(self.get_queryset(), pk=pk)
        if not call_lists.may_call(call_list, request.user):
            raise PermissionDenied
        entry = call_lists.claim_next(call_list, request.user)
        form = CallResultForm(questions=call_list.script.live_questions()) if entry else None
        return show_call(request, call_list, entry, form)


def show_call(request, call_list, entry, form, status=200):
    context = {"call_list": call_list, "entry": entry, "form": form, "script": call_list.script,
               "progress": call_lists.progress(call_list, request.user),
               "lease_minutes": int(call_lists.LEASE.total_seconds() // 60)}
    if entry is not None:
        context["phones"] = other_phones(entry)
        context["recent"] = entry.counterparty.interactions.filter(deleted_at__isnull=True).select_related(
            "type").order_by("-start")[:5]
    return render(request, "marketing/call_next.html", context, status=status)


def other_phones(entry):
    from clients.models import ContactInfo, ContactKind

    rows = ContactInfo.objects.filter(counterparty=entry.counterparty_id,
                                      kind__in=(ContactKind.PHONE, ContactKind.MOBILE)).exclude(value=entry.phone)
    return list(rows.select_related("contact_person").order_by("contact_person_id", "pk")[:10])


class EntryResultView(generic.RestrictedMixin, View):
    """POST from the operator screen: the call's result; then the next call (or the form again)."""

    model = CallListEntry

    def post(self, request, pk):
        entry = get_object_or_404(self.get_queryset(access.CHANGE).select_related(
            "call_list__script", "counterparty", "contact_person"), pk=pk)
        call_list = entry.call_list
        if not call_lists.may_call(call_list, request.user):
            raise PermissionDenied
        form = CallResultForm(request.POST, questions=call_list.script.live_questions())
        if form.is_valid():
            try:
                call_lists.record_result(entry, request.user, form.cleaned_data["result"], answers=form.answers(),
                                         comment=form.cleaned_data["comment"],
                                         call_back_at=form.cleaned_data["call_back_at"], now=timezone.now())
            except ValidationError as exc:
                add_errors(form, exc)
            except ConflictError:
                messages.error(request, _("Someone else took this call meanwhile: here is your next one."))
                return HttpResponseRedirect(reverse("marketing:calllist_next", args=[call_list.pk]))
            else:
                messages.success(request, _("Saved: %(name)s") % {"name": entry.counterparty})
                return HttpResponseRedirect(reverse("marketing:calllist_next", args=[call_list.pk]))
        return show_call(request, call_list, entry, form, status=400)


def add_errors(form, exc):
    for field, errors in exc.message_dict.items():
        if field == "answers":
            for error in errors:
                form.add_error(None, error)
        else:
            form.add_error(field if field in form.fields else None, errors)


class EntryReleaseView(generic.RestrictedMixin, View):
    """POST: stop calling — give the held entry back to the queue and go to the list."""

    model = CallListEntry

    def post(self, request, pk):
        entry = get_object_or_404(self.get_queryset(access.CHANGE), pk=pk)
        call_lists.release(entry, request.user)
        return HttpResponseRedirect(entry.call_list.get_absolute_url())
