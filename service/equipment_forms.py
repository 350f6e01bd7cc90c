"""Forms of service contracts, equipment and visits; the consultation and installation actions."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from clients.forms import CounterpartyField
from clients.models import Counterparty
from core import access
from core.forms import BaseModelForm, BootstrapMixin, DateInput, DateTimeInput
from sales.models import Order, Product

from .models import Equipment, ServiceContract, ServiceVisit


def active_users():
    return get_user_model().objects.filter(is_active=True)


class ClientForm(BaseModelForm):
    """The client chosen among those the user sees (service engineers see every client)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "counterparty" in self.fields:
            old = self.fields["counterparty"]
            self.fields["counterparty"] = CounterpartyField(
                queryset=Counterparty.objects.restrict(self.user, access.VIEW), label=old.label)
        for name in ("engineer",):
            if name in self.fields:
                self.fields[name].queryset = active_users()
        self._style()


class ServiceContractForm(ClientForm):
    class Meta:
        model = ServiceContract
        fields = ["number", "counterparty", "start", "end", "visits_per_year", "response_hours",
                  "installation_days", "engineer", "amount", "currency", "notes"]
        widgets = {"start": DateInput, "end": DateInput, "notes": forms.Textarea(attrs={"rows": 3})}


class EquipmentForm(ClientForm):
    class Meta:
        model = Equipment
        fields = ["product", "serial_number", "counterparty", "address", "installed_on", "warranty_until",
                  "contract", "order", "notes"]
        widgets = {"installed_on": DateInput, "warranty_until": DateInput,
                   "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.all()
        self.fields["contract"].queryset = ServiceContract.objects.restrict(self.user).select_related("counterparty")
        self.fields["order"].queryset = Order.objects.restrict(self.user).select_related("counterparty") \
            .order_by("-date", "-pk")


class ServiceVisitForm(ClientForm):
    class Meta:
        model = ServiceVisit
        fields = ["equipment", "contract", "engineer", "kind", "planned_start", "planned_end", "state", "report"]
        widgets = {"planned_start": DateTimeInput, "planned_end": DateTimeInput,
                   "report": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["equipment"].queryset = Equipment.objects.restrict(self.user).select_related(
            "product", "counterparty")
        self.fields["contract"].queryset = ServiceContract.objects.restrict(self.user).select_related("counterparty")


class ConsultationForm(BootstrapMixin, forms.Form):
    """A phone consultation about one unit, logged as a done incoming call."""

    subject = forms.CharField(label=_("Subject"), max_length=200)
    content = forms.CharField(label=_("What was advised"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    minutes = forms.IntegerField(label=_("Time spent, minutes"), required=False, min_value=0, max_value=24 * 60)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class InstallationForm(BootstrapMixin, forms.Form):
    engineer = forms.ModelChoiceField(label=_("Service engineer"), queryset=get_user_model().objects.none(),
                                      required=False, empty_label=_("— the contract's or the first one —"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .equipment_services import service_engineers

        self.fields["engineer"].queryset = service_engineers()
        self._style()
