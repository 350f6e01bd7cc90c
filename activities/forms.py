from dataclasses import dataclass

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clients.forms import CounterpartyField, lookup_pk
from clients.models import ContactPerson, Counterparty
from core import access
from core.forms import BaseModelForm, DateTimeInput
from core.registry import Registry

from .models import Interaction, InteractionType, Reminder, Task


@dataclass(frozen=True)
class BasisSource:
    """What an interaction can be based on: rows of ``model``, which has a ``counterparty`` FK."""

    model: type
    limit: int = 50  # the latest rows of the client offered

    @property
    def key(self):
        return self.model._meta.label_lower


# Registered by the apps that own the models (sales: deals, orders), in AppConfig.ready().
basis_sources = Registry("interaction_basis", "activities.forms.InteractionForm: BasisSource items")


def _active_users():
    return get_user_model().objects.filter(is_active=True)


class CounterpartyBoundForm(BaseModelForm):
    """Counterparty choices narrowed to what the user may change (a select, or fixed by the card)."""

    def restrict_counterparty(self, required=True):
        old = self.fields["counterparty"]
        self.fields["counterparty"] = CounterpartyField(
            queryset=Counterparty.objects.restrict(self.user, access.CHANGE), label=old.label,
            required=required)

    def chosen_counterparty_id(self):
        """The client the form is about: posted (an id or a typed name), initial or saved; or None."""
        field = self.fields["counterparty"]
        if self.is_bound:
            raw = field.widget.value_from_datadict(self.data, self.files, self.add_prefix("counterparty"))
            try:
                cp = field.clean(raw)
            except forms.ValidationError:
                return None
            return cp.pk if cp else None
        value = self.initial.get("counterparty") or self.instance.counterparty_id
        return lookup_pk(value.pk if isinstance(value, Counterparty) else value)

    def restrict_assign(self, name):
        field = self.fields[name]
        field.queryset = _active_users()
        if not access.can_assign(self.user):
            field.disabled = True
            if not self.instance.pk:
                self.initial[name] = self.user.pk


class InteractionForm(CounterpartyBoundForm):
    class Meta:
        model = Interaction
        fields = ["type", "direction", "state", "importance", "subject", "counterparty",
                  "contact_persons", "responsible", "start", "end", "duration_minutes", "content",
                  "result", "satisfaction"]
        widgets = {"start": DateTimeInput, "end": DateTimeInput,
                   "content": forms.Textarea(attrs={"rows": 3}), "result": forms.Textarea(attrs={"rows": 2}),
                   "contact_persons": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.restrict_counterparty()
        self.restrict_assign("responsible")
        if not InteractionType.objects.exists():
            InteractionType.ensure_builtin()
        self.fields["type"].queryset = InteractionType.objects.all()
        # The persons of the chosen client; the base form narrows them to the user's scope.
        cp_id = self.chosen_counterparty_id()
        persons = ContactPerson.objects.filter(counterparty_id=cp_id) if cp_id else ContactPerson.objects.none()
        self.fields["contact_persons"].queryset = persons
        self.add_basis_field(cp_id)
        self._style()

    def add_basis_field(self, cp_id):
        """The deal or order the interaction is about: the chosen client's, within the user's scope."""
        self.basis_rows = {}
        choices = [("", "---------")]
        for source in basis_sources:
            qs = source.model.objects.restrict(self.user, access.VIEW)
            rows = list(qs.filter(counterparty_id=cp_id).order_by("-pk")[:source.limit]) if cp_id else []
            current = self.instance.basis if self.instance.basis_type_id else None
            if isinstance(current, source.model) and current not in rows and qs.filter(pk=current.pk).exists():
                rows.append(current)
            self.basis_rows.update({f"{source.key}:{row.pk}": row for row in rows})
            if rows:
                choices.append((source.model._meta.verbose_name_plural.capitalize(),
                                [(f"{source.key}:{row.pk}", str(row)) for row in rows]))
        name = self.add_prefix("counterparty")
        self.fields["basis"] = forms.ChoiceField(
            label=_("Basis"), required=False, choices=choices,
            help_text=_("The deal or order of this client the interaction is about."),
            widget=forms.Select(attrs={
                "hx-get": reverse("activities:interaction_basis"), "hx-trigger": f"change from:[name='{name}']",
                "hx-include": f"[name='{name}']", "hx-target": "this", "hx-swap": "outerHTML"}))
        if self.instance.basis_type_id:
            ct = ContentType.objects.get_for_id(self.instance.basis_type_id)
            self.initial.setdefault("basis", f"{ct.app_label}.{ct.model}:{self.instance.basis_id}")
        order = list(self.fields)
        order.remove("basis")
        order.insert(order.index("counterparty") + 1, "basis")
        self.order_fields(order)

    def clean_responsible(self):
        if not access.can_assign(self.user) and not self.instance.pk:
            return self.user
        return self.cleaned_data.get("responsible")

    def clean(self):
        data = super().clean()
        cp = data.get("counterparty")
        for person in data.get("contact_persons") or []:
            if cp and person.counterparty_id != cp.pk:
                self.add_error("contact_persons", _("This person works for another counterparty."))
        basis = self.basis_rows.get(data.get("basis") or "")
        if basis is not None and cp and basis.counterparty_id != cp.pk:
            self.add_error("basis", _("The deal or order is with another client."))
        return data

    def save(self, commit=True):
        key = self.cleaned_data.get("basis") or ""
        if key in self.basis_rows:
            self.instance.basis = self.basis_rows[key]
        elif not key and "basis" in self.changed_data:
            self.instance.basis_type, self.instance.basis_id = None, None
        return super().save(commit)


class TaskForm(CounterpartyBoundForm):
    class Meta:
        model = Task
        fields = ["title", "assignee", "deadline", "importance", "state", "counterparty", "description"]
        widgets = {"deadline": DateTimeInput, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.restrict_counterparty(required=False)
        self.fields["assignee"].queryset = _active_users()
        if not self.instance.pk and not self.initial.get("assignee"):  # model_to_dict() gave None
            self.initial["assignee"] = self.user.pk if self.user else None
        self._style()

    def save(self, commit=True):
        if not self.instance.pk:
            self.instance.author = self.user
        return super().save(commit)


class ReminderForm(CounterpartyBoundForm):
    class Meta:
        model = Reminder
        fields = ["text", "remind_at", "user", "counterparty"]
        widgets = {"remind_at": DateTimeInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.restrict_counterparty(required=False)
        self.restrict_assign("user")
        self._style()

    def clean_user(self):
        if not access.can_assign(self.user) and not self.instance.pk:
            return self.user
        return self.cleaned_data.get("user")
