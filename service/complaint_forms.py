from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import BaseModelForm, BootstrapMixin, DateTimeInput

from .models import Complaint, ComplaintTask


class ComplaintForm(BaseModelForm):
    class Meta:
        model = Complaint
        fields = ["type", "counterparty", "contact_person", "subject", "description", "channel", "received_at",
                  "deadline", "responsible", "product", "deal", "order", "state", "decision"]
        widgets = {"received_at": DateTimeInput, "deadline": DateTimeInput,
                   "description": forms.Textarea(attrs={"rows": 3}), "decision": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = get_user_model().objects.filter(is_active=True)
        if not self.instance.pk and self.user is not None and getattr(self.user, "role", "") == "quality":
            self.fields["responsible"].initial = self.user.pk


class ComplaintTaskForm(BaseModelForm):
    class Meta:
        model = ComplaintTask
        fields = ["department", "responsible", "description", "deadline"]
        widgets = {"deadline": DateTimeInput, "description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = get_user_model().objects.filter(is_active=True)


class TaskDoneForm(BootstrapMixin, forms.Form):
    result = forms.CharField(label=_("Result"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class StateForm(BootstrapMixin, forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=Complaint.State.choices)
    decision = forms.CharField(label=_("Decision"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class ClosingCallForm(BootstrapMixin, forms.Form):
    result = forms.CharField(label=_("What the client said"), widget=forms.Textarea(attrs={"rows": 2}))
    satisfaction = forms.TypedChoiceField(label=_("Satisfaction (1–5)"), required=False, coerce=int,
                                          empty_value=None, choices=[("", "—")] + [(i, i) for i in range(1, 6)])
    close = forms.BooleanField(label=_("Close the complaint"), required=False, initial=True,
                               help_text=_("A decided complaint is closed with the call."))

    def __init__(self, *args, complaint=None, **kwargs):
        super().__init__(*args, **kwargs)
        if complaint is not None and complaint.state != complaint.State.DECIDED:
            del self.fields["close"]
        self._style()


def errors_into(form, exc: ValidationError):
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)
