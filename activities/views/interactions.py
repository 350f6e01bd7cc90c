"""Interactions, tasks and reminders: lists, edit pages and the client card's tab."""

from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from clients.models import Counterparty
from core import access
from core.filtersets import fits_bigint
from core.views import generic

from .. import forms
from ..filtersets import InteractionFilterSet, ReminderFilterSet, TaskFilterSet
from ..models import Interaction, InteractionType, OutgoingEmail, Reminder, Task
from ..tables import InteractionTable, ReminderTable, TaskTable, UpcomingInteractionTable


def _rounded_now():
    now = timezone.localtime().replace(second=0, microsecond=0)
    return now.replace(minute=(now.minute // 15) * 15)


class InteractionListView(generic.ObjectListView):
    """Opened without filters, the list starts today with the nearest items (not the far future);
    any filter in the query string (even an emptied "From") shows every date, newest first."""

    model = Interaction
    filterset_class = InteractionFilterSet
    export_name = "interactions"
    add_url_name = "activities:interaction_add"

    def upcoming(self):
        return not any(name in self.request.GET for name in InteractionFilterSet.base_filters)

    @property
    def table_class(self):
        return UpcomingInteractionTable if self.upcoming() else InteractionTable

    def filtered(self):
        if not self.upcoming():
            return super().filtered()
        data = self.request.GET.copy()  # keeps cursor / sort / per_page: keyset pages stay in step
        data["start_after"] = timezone.localdate().isoformat()
        qs = self.get_base_queryset()
        filterset = self.filterset_class(data, queryset=qs, request=self.request)
        return filterset, (filterset.qs if filterset.is_valid() else qs.none())

    def get_base_queryset(self):
        emails = Prefetch("emails", queryset=OutgoingEmail.objects.order_by("-created_at"))
        return self.get_queryset().select_related("type", "counterparty", "responsible").prefetch_related(emails)


class TaskListView(generic.ObjectListView):
    """"My tasks" by default (assigned to me, open); the filters widen it."""

    model = Task
    filterset_class = TaskFilterSet
    table_class = TaskTable
    export_name = "tasks"
    add_url_name = "activities:task_add"

    def get_base_queryset(self):
        qs = self.get_queryset().select_related("counterparty", "assignee", "author")
        if not self.request.GET:
            qs = qs.filter(assignee=self.request.user, state=Task.State.OPEN)
        return qs

    def extra_context(self):
        return {"my_tasks": not self.request.GET}


class ReminderListView(generic.ObjectListView):
    model = Reminder
    filterset_class = ReminderFilterSet
    table_class = ReminderTable
    export_name = "reminders"
    add_url_name = "activities:reminder_add"

    def get_base_queryset(self):
        return self.get_queryset().select_related("counterparty", "user")


class CardInitialMixin:
    """New records opened from a client card start filled in from the query string."""

    list_url = None

    def initial_from_request(self):
        params = self.request.GET
        initial = {}
        if params.get("counterparty", "").isdigit():
            get_object_or_404(Counterparty.objects.restrict(self.request.user, access.CHANGE),
                              pk=params["counterparty"])
            initial["counterparty"] = int(params["counterparty"])
        return initial

    def get_form(self, obj, data=None):
        initial = {} if obj.pk else {**self.default_initial(), **self.initial_from_request()}
        return self.form_class(data, instance=obj, user=self.request.user, initial=initial)

    def default_initial(self):
        return {}

    def success_url(self, obj):
        nxt = self.request.POST.get("next") or self.request.GET.get("next")
        if nxt and nxt.startswith("/") and not nxt.startswith("//"):
            return nxt
        if getattr(obj, "counterparty_id", None):
            return reverse("clients:counterparty", args=[obj.counterparty_id]) + "?tab=interactions"
        return reverse(self.list_url)


class InteractionEditView(CardInitialMixin, generic.ObjectEditView):
    model = Interaction
    form_class = forms.InteractionForm
    delete_url_name = "activities:interaction_delete"
    list_url = "activities:interaction_list"

    def default_initial(self):
        params = self.request.GET
        initial = {"start": _rounded_now(), "responsible": self.request.user.pk,
                   "state": params.get("state") or Interaction.State.PLANNED}
        itype = InteractionType.by_code(params.get("type", ""))
        if itype:
            initial["type"] = itype.pk
            initial["direction"] = "in" if itype.code == "incoming_call" else "out"
        return initial


class InteractionBasisOptionsView(generic.RestrictedMixin, View):
    """The interaction form's basis select for ``?counterparty=`` (htmx swaps it in when the client changes)."""

    model = Interaction

    def get(self, request):
        cp = request.GET.get("counterparty", "")
        initial = {"counterparty": int(cp)} if cp.isdigit() and fits_bigint(cp) else {}
        form = forms.InteractionForm(instance=Interaction(), user=request.user, initial=initial)
        return HttpResponse(str(form["basis"]))


class TaskEditView(CardInitialMixin, generic.ObjectEditView):
    model = Task
    form_class = forms.TaskForm
    delete_url_name = "activities:task_delete"
    list_url = "activities:task_list"

    def default_initial(self):
        return {"deadline": _rounded_now() + timezone.timedelta(days=1)}

    def save(self, form):
        before = form.instance.assignee_id if form.instance.pk else None
        task = form.save()
        if task.assignee_id != before and task.assignee_id != self.request.user.pk:
            from ..services import notifications

            notifications.notify_task_assigned(task)
        return task


class ReminderEditView(CardInitialMixin, generic.ObjectEditView):
    model = Reminder
    form_class = forms.ReminderForm
    delete_url_name = "activities:reminder_delete"
    list_url = "activities:reminder_list"

    def default_initial(self):
        return {"remind_at": _rounded_now() + timezone.timedelta(hours=1), "user": self.request.user.pk}


class CardInteractionsView(generic.RestrictedMixin, View):
    """The Interactions tab of a client card: planned on top, then history, newest first."""

    model = Counterparty

    def get(self, request, pk):
        counterparty = get_object_or_404(Counterparty.objects.restrict(request.user), pk=pk)
        qs = Interaction.objects.restrict(request.user).filter(counterparty=counterparty).select_related(
            "type", "responsible").prefetch_related("contact_persons", "emails")
        planned = list(qs.filter(state=Interaction.State.PLANNED).order_by("start", "id")[:100])
        history = list(qs.exclude(state=Interaction.State.PLANNED).order_by("-start", "-id")[:100])
        tasks = list(Task.objects.restrict(request.user).filter(
            counterparty=counterparty, state=Task.State.OPEN).select_related("assignee")[:50])
        can_change = Counterparty.objects.restrict(request.user, access.CHANGE).filter(pk=pk).exists()
        return render(request, "activities/interactions/card_tab.html", {
            "counterparty": counterparty, "planned": planned, "history": history, "tasks": tasks,
            "can_change": can_change})


class InteractionDeleteView(generic.ObjectDeleteView):
    model = Interaction
    success_url_name = "activities:interaction_list"


class TaskDeleteView(generic.ObjectDeleteView):
    model = Task
    success_url_name = "activities:task_list"


class ReminderDeleteView(generic.ObjectDeleteView):
    model = Reminder
    success_url_name = "activities:reminder_list"
