"""Complaints: list, card (subtasks, state moves, closing call), edit, delete, history; the client
card's Complaints tab; the reference lists of types and departments."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from clients.models import Counterparty
from core import access
from core.views import generic

from . import complaints
from .complaint_filtersets import ComplaintFilterSet
from .complaint_forms import ClosingCallForm, ComplaintForm, ComplaintTaskForm, StateForm, TaskDoneForm, errors_into
from .complaint_tables import ComplaintTable
from .models import Complaint, ComplaintTask


class ComplaintListView(generic.ObjectListView):
    model = Complaint
    filterset_class = ComplaintFilterSet
    table_class = ComplaintTable
    add_url_name = "service:complaint_add"
    export_name = "complaints"

    def get_base_queryset(self):
        return self.get_queryset().select_related("type", "counterparty", "responsible")


class ComplaintDetailView(generic.ObjectDetailView):
    model = Complaint
    template_name = "service/complaint_detail.html"

    def get_object(self, pk, action=access.VIEW):
        return get_object_or_404(self.get_queryset(action).select_related(
            "type", "counterparty", "contact_person", "responsible", "product", "deal", "order",
            "closing_call"), pk=pk)

    def get_extra_context(self, obj, **forms):
        user = self.request.user
        can_change = access.may(user, access.CHANGE, obj)
        tasks = obj.tasks.filter(deleted_at__isnull=True).select_related("department", "responsible")
        return {
            "tasks": tasks,
            "calls": complaints.complaint_calls(obj),
            "can_change": can_change,
            "task_form": forms.get("task_form") or ComplaintTaskForm(user=user, prefix="task"),
            "state_form": forms.get("state_form") or StateForm(initial={"decision": obj.decision}),
            "call_form": forms.get("call_form") or ClosingCallForm(prefix="call", complaint=obj),
            "done_form": TaskDoneForm(prefix="done"),
            # Closing comes with the closing call (its form) until the call is recorded.
            "next_states": [s for s in obj.allowed_states() if s != Complaint.State.CLOSED or obj.closing_call_id],
            "now": timezone.now(),
        }

    def show(self, obj, status=400, **forms):
        return render(self.request, self.template_name,
                      {"object": obj, **self.get_extra_context(obj, **forms)}, status=status)


class ComplaintActionView(ComplaintDetailView):
    """POSTs from the card; 404 unless the user may change the complaint."""

    def get(self, request, pk):
        return HttpResponseRedirect(reverse("service:complaint", args=[pk]))

    def changeable(self, pk):
        return self.get_object(pk, access.CHANGE)


class ComplaintStateView(ComplaintActionView):
    def post(self, request, pk):
        obj = self.changeable(pk)
        form = StateForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    complaints.change_state(obj, form.cleaned_data["state"], request.user,
                                            decision=form.cleaned_data["decision"])
            except ValidationError as exc:
                errors_into(form, exc)
        if not form.is_valid() or form.errors:
            obj.refresh_from_db()
            return self.show(obj, state_form=form)
        messages.success(request, _("State changed: %(state)s") % {"state": obj.get_state_display()})
        return HttpResponseRedirect(obj.get_absolute_url())


class ComplaintCallView(ComplaintActionView):
    def post(self, request, pk):
        obj = self.changeable(pk)
        form = ClosingCallForm(request.POST, prefix="call", complaint=obj)
        if form.is_valid():
            try:
                complaints.record_closing_call(obj, request.user, form.cleaned_data["result"],
                                               satisfaction=form.cleaned_data["satisfaction"],
                                               close=form.cleaned_data.get("close", False))
            except ValidationError as exc:
                errors_into(form, exc)
        if form.errors:
            return self.show(obj, call_form=form)
        messages.success(request, _("The closing call is recorded."))
        return HttpResponseRedirect(obj.get_absolute_url())


class ComplaintTaskAddView(ComplaintActionView):
    def post(self, request, pk):
        obj = self.changeable(pk)
        if not access.can(request.user, access.ADD, ComplaintTask):
            return HttpResponseRedirect(obj.get_absolute_url())
        form = ComplaintTaskForm(request.POST, user=request.user, prefix="task",
                                 instance=ComplaintTask(complaint=obj))
        if not form.is_valid():
            return self.show(obj, task_form=form)
        task = form.save()
        messages.success(request, _("Subtask added: %(task)s") % {"task": task})
        return HttpResponseRedirect(obj.get_absolute_url())


class ComplaintTaskDoneView(generic.RestrictedMixin, View):
    """Complete a subtask with its result (POST from the card)."""

    model = ComplaintTask
    action = access.CHANGE

    def post(self, request, pk):
        task = get_object_or_404(self.get_queryset(), pk=pk, done_at__isnull=True)
        form = TaskDoneForm(request.POST, prefix="done")
        if form.is_valid():
            task.result = form.cleaned_data["result"]
            task.done_at = timezone.now()
            task.save()
            messages.success(request, _("Subtask done: %(task)s") % {"task": task})
        else:
            messages.error(request, _("Write the result of a done subtask."))
        return HttpResponseRedirect(task.get_absolute_url())


class ComplaintEditView(generic.ObjectEditView):
    model = Complaint
    form_class = ComplaintForm
    delete_url_name = "service:complaint_delete"

    def get_form(self, obj, data=None):
        initial = {}
        if not obj.pk and self.request.GET.get("counterparty", "").isdigit():
            initial["counterparty"] = self.request.GET["counterparty"]
        return self.form_class(data, instance=obj, user=self.request.user, initial=initial)


class ComplaintDeleteView(generic.ObjectDeleteView):
    model = Complaint
    success_url_name = "service:complaint_list"


class ComplaintHistoryView(generic.ObjectHistoryView):
    model = Complaint
    list_url_name = "service:complaint_list"

    def records(self, obj):
        tasks = ComplaintTask.history.filter(complaint_id=obj.pk).order_by("history_date")[:500]
        return super().records(obj) + list(tasks)


class ComplaintTaskEditView(generic.ObjectEditView):
    model = ComplaintTask
    form_class = ComplaintTaskForm
    delete_url_name = "service:complainttask_delete"


class ComplaintTaskDeleteView(generic.ObjectDeleteView):
    model = ComplaintTask

    def after_delete_url(self, obj):
        return reverse("service:complaint", args=[obj.complaint_id])


class CardComplaintsView(generic.RestrictedMixin, View):
    """The client card's Complaints tab (htmx); 404 unless the user sees the client."""

    model = Complaint
    ROWS = 100  # the full list is a click away

    def get(self, request, pk):
        counterparty = get_object_or_404(Counterparty.objects.restrict(request.user), pk=pk)
        rows = list(self.get_queryset().filter(counterparty=counterparty).select_related("type", "responsible")
                    .order_by("-received_at", "-pk")[:self.ROWS + 1])
        can_add = access.can(request.user, access.ADD, Complaint) and Counterparty.objects.restrict(
            request.user, access.VIEW).filter(pk=pk).exists()
        return render(request, "service/card_complaints.html", {
            "counterparty": counterparty, "rows": rows[:self.ROWS], "more": len(rows) > self.ROWS,
            "can_add": can_add,
            "add_url": f"{reverse('service:complaint_add')}?counterparty={counterparty.pk}",
            "list_url": f"{reverse('service:complaint_list')}?counterparty={counterparty.pk}"})
