"""The call list and card, the card pop-up polled by every page, the extensions (settings)."""

from django.db.models import BooleanField, Case, Value, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View

from clients.models import Counterparty
from clients.views import CounterpartyEditView
from core import access
from core.filtersets import BaseFilterSet
from core.views import generic

from ..models import Call, PhoneExtension
from . import services
from .filtersets import CallFilterSet
from .forms import PhoneExtensionForm
from .tables import CallTable, PhoneExtensionTable

# htmx stops polling on this status: pages of users without a line ask once.
STOP_POLLING = 286


def with_client_visibility(qs, user):
    """Annotate ``counterparty_visible``: may ``user`` see the call's client (its name, its card)?"""
    if access.rule_for(user)[0] == "all":
        return qs.annotate(counterparty_visible=Value(True, output_field=BooleanField()))
    visible = Counterparty.objects.restrict(user).values("pk")
    return qs.annotate(counterparty_visible=Case(When(counterparty__in=visible, then=Value(True)),
                                                 default=Value(False), output_field=BooleanField()))


class CallListView(generic.ObjectListView):
    model = Call
    filterset_class = CallFilterSet
    table_class = CallTable
    export_name = "calls"

    def get_base_queryset(self):
        qs = self.get_queryset().select_related("counterparty", "user", "answered_by")
        return with_client_visibility(qs, self.request.user)


class CallDetailView(generic.ObjectDetailView):
    model = Call
    template_name = "integrations/telephony/call_detail.html"

    def get_queryset(self, action=None):
        qs = super().get_queryset(action).select_related("counterparty", "contact_person", "user", "answered_by",
                                                          "interaction", "task")
        return with_client_visibility(qs, self.request.user)

    def get_extra_context(self, obj):
        user = self.request.user
        from activities.models import Interaction, Task

        return {"opts": Call._meta,
                "interaction": Interaction.objects.restrict(user).filter(pk=obj.interaction_id).first(),
                "task": Task.objects.restrict(user).filter(pk=obj.task_id).first(),
                "can_delete": access.may(user, access.DELETE, obj),
                "can_create_client": obj.counterparty_id is None and access.can(user, access.ADD, Counterparty)}


class CallDeleteView(generic.ObjectDeleteView):
    model = Call
    success_url_name = "integrations:call_list"


class CallClientCreateView(CounterpartyEditView):
    """A new client from a call from an unknown number: the number is filled in, and once saved
    the call joins the client (a finished answered call then becomes its interaction)."""

    def get_call(self):
        return get_object_or_404(Call.objects.restrict(self.request.user), pk=self.kwargs["call"])

    def get(self, request, call, **kwargs):
        self.call = self.get_call()
        return super().get(request)

    def post(self, request, call, **kwargs):
        self.call = self.get_call()
        return super().post(request)

    def get_formsets(self, obj, data=None):
        formsets = super().get_formsets(obj, data)
        infos = formsets["infos"]
        if data is None and not infos.is_bound and self.call.number.startswith("+"):
            infos.forms[0].initial = {"kind": "phone", "value": self.call.number}
        return formsets

    def after_save(self, obj):
        super().after_save(obj)
        services.link_counterparty(self.call, obj, self.request.user)


class CallPopupView(View):
    """htmx, every few seconds from every page: the cards of calls ringing for this user, each once
    (what each card may say is decided in ``services.popup``)."""

    def get(self, request):
        # Logged out meanwhile (or no line): stop polling rather than pour a login page into the bar.
        if not request.user.is_authenticated or not services.has_line(request.user):
            return HttpResponse(status=STOP_POLLING)
        popups = services.claim_alerts(request.user)
        if not popups:
            return HttpResponse("")
        return render(request, "integrations/telephony/popup.html", {"popups": popups})


# --- Extensions (settings) ------------------------------------------------------------------------

class PhoneExtensionFilterSet(BaseFilterSet):
    class Meta:
        model = PhoneExtension
        fields = ["user"]


class PhoneExtensionListView(generic.ObjectListView):
    model = PhoneExtension
    filterset_class = PhoneExtensionFilterSet
    table_class = PhoneExtensionTable
    add_url_name = "integrations:extension_add"

    def get_base_queryset(self):
        return self.get_queryset().select_related("user")


class PhoneExtensionEditView(generic.ObjectEditView):
    model = PhoneExtension
    form_class = PhoneExtensionForm
    delete_url_name = "integrations:extension_delete"

    def success_url(self, obj):
        return reverse("integrations:extension_list")


class PhoneExtensionDeleteView(generic.ObjectDeleteView):
    model = PhoneExtension
    success_url_name = "integrations:extension_list"
