"""Service contracts, equipment and visits: lists, cards, edit; plan visits, log a consultation,
the order's installation task and the client card's equipment tab."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from clients.models import Counterparty
from core import access
from core.views import generic
from sales.models import Order

from . import equipment_services as services
from .equipment_filtersets import EquipmentFilterSet, ServiceContractFilterSet, ServiceVisitFilterSet
from .equipment_forms import (
    ConsultationForm,
    EquipmentForm,
    InstallationForm,
    ServiceContractForm,
    ServiceVisitForm,
)
from .equipment_tables import EquipmentTable, ServiceContractTable, ServiceVisitTable
from .models import Equipment, ServiceContract, ServiceVisit


class InitialFromQueryMixin:
    """A new record takes its links from the query (``?counterparty=5`` from the client card)."""

    initial_fields = ()

    def get_form(self, obj, data=None):
        initial = {}
        if obj.pk is None:
            initial = {name: self.request.GET[name] for name in self.initial_fields
                       if self.request.GET.get(name, "").isdigit()}
        return self.form_class(data, instance=obj, user=self.request.user, initial=initial)


# --- Contracts --------------------------------------------------------------------------------

class ServiceContractListView(generic.ObjectListView):
    model = ServiceContract
    filterset_class = ServiceContractFilterSet
    table_class = ServiceContractTable
    add_url_name = "service:contract_add"
    export_name = "service-contracts"

    def get_base_queryset(self):
        return self.get_queryset().select_related("counterparty", "engineer")


class ServiceContractDetailView(generic.ObjectDetailView):
    model = ServiceContract
    template_name = "service/contract_detail.html"

    def get_extra_context(self, obj):
        user = self.request.user
        return {
            "equipment": Equipment.objects.restrict(user).filter(contract=obj).select_related("product")[:200],
            "visits": ServiceVisit.objects.restrict(user).filter(contract=obj)
            .select_related("engineer", "equipment__product").order_by("planned_start", "pk")[:200],
            "can_change": access.can(user, access.CHANGE, ServiceContract),
            "plan_dates": services.plan_dates(obj),
        }


class ServiceContractEditView(InitialFromQueryMixin, generic.ObjectEditView):
    model = ServiceContract
    form_class = ServiceContractForm
    delete_url_name = "service:contract_delete"
    initial_fields = ("counterparty",)


class ServiceContractDeleteView(generic.ObjectDeleteView):
    model = ServiceContract
    success_url_name = "service:contract_list"


class ServiceContractHistoryView(generic.ObjectHistoryView):
    model = ServiceContract
    list_url_name = "service:contract_list"


class PlanVisitsView(generic.RestrictedMixin, View):
    """POST: create the contract's missing planned visits (a second click adds none)."""

    model = ServiceContract
    action = access.CHANGE

    def post(self, request, pk):
        contract = get_object_or_404(self.get_queryset(), pk=pk)
        if not access.can(request.user, access.ADD, ServiceVisit):
            raise PermissionDenied
        with transaction.atomic():
            created = services.plan_visits(contract)
        if created:
            messages.success(request, ngettext("%(count)d visit planned.", "%(count)d visits planned.",
                                               created) % {"count": created})
        else:
            messages.info(request, _("All visits of the contract are already planned."))
        return HttpResponseRedirect(contract.get_absolute_url())


# --- Equipment --------------------------------------------------------------------------------

class EquipmentListView(generic.ObjectListView):
    model = Equipment
    filterset_class = EquipmentFilterSet
    table_class = EquipmentTable
    add_url_name = "service:equipment_add"
    export_name = "equipment"

    def get_base_queryset(self):
        return self.get_queryset().select_related("counterparty", "product", "contract")


class EquipmentDetailView(generic.ObjectDetailView):
    model = Equipment
    template_name = "service/equipment_detail.html"

    def get_extra_context(self, obj, form=None):
        user = self.request.user
        return {
            "visits": ServiceVisit.objects.restrict(user).filter(equipment=obj)
            .select_related("engineer").order_by("-planned_start", "-pk")[:100],
            "consultations": services.equipment_interactions(obj, user)[:100],
            "can_change": access.can(user, access.CHANGE, Equipment),
            "can_log": access.may(user, access.CHANGE, obj),
            "consultation_form": form or ConsultationForm(),
        }


class EquipmentEditView(InitialFromQueryMixin, generic.ObjectEditView):
    model = Equipment
    form_class = EquipmentForm
    delete_url_name = "service:equipment_delete"
    initial_fields = ("counterparty", "contract", "order", "product")


class EquipmentDeleteView(generic.ObjectDeleteView):
    model = Equipment
    success_url_name = "service:equipment_list"


class EquipmentHistoryView(generic.ObjectHistoryView):
    model = Equipment
    list_url_name = "service:equipment_list"


class ConsultationView(EquipmentDetailView):
    """POST from the equipment card: a phone consultation, logged as a done incoming call whose
    basis is the unit. Whoever may change the unit may log one (service engineers included)."""

    def post(self, request, pk):
        equipment = get_object_or_404(Equipment.objects.restrict(request.user, access.CHANGE), pk=pk)
        form = ConsultationForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name,
                          {"object": equipment, **self.get_extra_context(equipment, form)}, status=400)
        data = form.cleaned_data
        with transaction.atomic():
            services.log_consultation(equipment, request.user, data["subject"], data["content"], data["minutes"])
        messages.success(request, _("Consultation logged."))
        return HttpResponseRedirect(equipment.get_absolute_url())


# --- Visits -----------------------------------------------------------------------------------

class ServiceVisitListView(generic.ObjectListView):
    model = ServiceVisit
    filterset_class = ServiceVisitFilterSet
    table_class = ServiceVisitTable
    add_url_name = "service:visit_add"
    export_name = "service-visits"

    def get_base_queryset(self):
        return self.get_queryset().select_related("counterparty", "equipment__product", "contract", "engineer")


class ServiceVisitEditView(InitialFromQueryMixin, generic.ObjectEditView):
    model = ServiceVisit
    form_class = ServiceVisitForm
    delete_url_name = "service:visit_delete"
    initial_fields = ("equipment", "contract", "engineer")


class ServiceVisitDeleteView(generic.ObjectDeleteView):
    model = ServiceVisit
    success_url_name = "service:visit_list"


class ServiceVisitHistoryView(generic.ObjectHistoryView):
    model = ServiceVisit
    list_url_name = "service:visit_list"


# --- The order's installation task and the client card's tab ----------------------------------

class OrderInstallationView(generic.RestrictedMixin, View):
    """POST from the order card: the "install equipment" task for a service engineer, due the
    contract's installation deadline in working days after shipment; a second click finds it."""

    model = Order
    action = access.CHANGE

    def post(self, request, pk):
        order = get_object_or_404(self.get_queryset(), pk=pk)
        form = InstallationForm(request.POST)
        engineer = form.cleaned_data["engineer"] if form.is_valid() else None
        task, created = services.create_installation_task(order, request.user, engineer)
        if created:
            messages.success(request, _("Installation task created: %(task)s") % {"task": task})
        else:
            messages.info(request, _("The order already has an installation task: %(task)s") % {"task": task})
        return HttpResponseRedirect(order.get_absolute_url())


class CardEquipmentView(generic.RestrictedMixin, View):
    """The client card's Equipment tab (htmx)."""

    model = Counterparty

    def get(self, request, pk):
        client = get_object_or_404(self.get_queryset(), pk=pk)
        user = request.user
        return render(request, "service/card_equipment.html", {
            "object": client,
            "equipment": Equipment.objects.restrict(user).filter(counterparty=client)
            .select_related("product", "contract")[:200],
            "contracts": ServiceContract.objects.restrict(user).filter(counterparty=client)[:50],
            "can_add": access.can(user, access.ADD, Equipment),
        })
