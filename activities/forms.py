from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from clients.forms import CounterpartyField, lookup_pk
from clients.models import ContactPerson, Counterparty
from core import access
from core.forms import BaseModelForm, DateTimeInput

from .models import Interaction, InteractionType, Reminder, Task


def _active_users():
    return get_user_model().objects.filter(is_active=True)


class CounterpartyBoundForm(BaseModelForm):
    """Counterparty choices narrowed to what the user may change (a select, or fixed by the card)."""

    def restrict_counterparty(self, required=True):
        old = self.fields["counterparty"]
        self.fields["counterparty"] = CounterpartyField(
            queryset=Counterparty.objects.restrict(self.user, access.CHANGE), label=old.label,
            required=required)

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
        cp_id = lookup_pk(self.instance.counterparty_id or self.initial.get("counterparty")
                          or self.data.get("counterparty"))
        persons = ContactPerson.objects.filter(counterparty_id=cp_id) if cp_id else ContactPerson.objects.none()
        self.fields["contact_persons"].queryset = persons
        self._style()

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
        return data


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
