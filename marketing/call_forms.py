"""Forms, filters and tables of the call scripts and call lists, and the operator's call form."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from clients.forms import SoftDeleteInlineFormSet
from core.filtersets import BaseFilterSet
from core.forms import BaseModelForm, BootstrapMixin, DateTimeInput
from core.tables import Column, Table

from .call_lists import NO, YES
from .models import CallList, CallListEntry, CallQuestion, CallScript, Campaign


def active_users():
    return get_user_model().objects.filter(is_active=True)


class CallScriptForm(BaseModelForm):
    class Meta:
        model = CallScript
        fields = ["name", "intro"]
        widgets = {"intro": forms.Textarea(attrs={"rows": 3})}


class CallQuestionForm(BaseModelForm):
    class Meta:
        model = CallQuestion
        fields = ["order", "text", "kind", "options", "required"]
        widgets = {"options": forms.Textarea(attrs={"rows": 1}),
                   "order": forms.NumberInput(attrs={"style": "max-width:6em"})}


CallQuestionFormSet = inlineformset_factory(
    CallScript, CallQuestion, form=CallQuestionForm, formset=SoftDeleteInlineFormSet, extra=1, can_delete=True)


class CallListForm(BaseModelForm):
    class Meta:
        model = CallList
        fields = ["name", "campaign", "script", "segment", "group", "state", "responsible", "operators",
                  "max_attempts", "retry_minutes", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2}),
                   "operators": forms.SelectMultiple(attrs={"size": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = active_users()
        self.fields["operators"].queryset = active_users()
        self.fields["campaign"].queryset = Campaign.objects.all()
        if self.instance.pk and self.instance.filled_at:
            # The entries are a snapshot of the source: another source would not match them.
            for name in ("segment", "group"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("The list was filled from it.")


class CallListFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    state = django_filters.MultipleChoiceFilter(label=_("State"), choices=CallList.State.choices)
    campaign = django_filters.ModelChoiceFilter(label=_("Campaign"), queryset=Campaign.objects.all())

    class Meta:
        model = CallList
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value)) if value else queryset


class CallScriptFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains")

    class Meta:
        model = CallScript
        fields = []


class EntryFilterSet(BaseFilterSet):
    """The entries on the call list's page (and in the API)."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    state = django_filters.MultipleChoiceFilter(label=_("State"), choices=CallListEntry.State.choices)
    operator = django_filters.ModelChoiceFilter(label=_("Operator"), queryset=active_users())

    class Meta:
        model = CallListEntry
        fields = []

    def search(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Q(counterparty__name__icontains=value) | Q(contact_person__last_name__icontains=value)
                               | Q(phone__icontains=value))


class CallListTable(Table):
    default_sort = "-created_at"

    name = Column(_("Call list"), order_by="name", linkify=True)
    state = Column(_("State"))
    campaign = Column(_("Campaign"))
    script = Column(_("Call script"))
    source = Column(_("Source"))
    responsible = Column(_("Responsible"))
    created_at = Column(_("Created"), order_by="created_at", css="text-nowrap")


class CallScriptTable(Table):
    default_sort = "name"

    name = Column(_("Call script"), order_by="name", linkify=True)
    updated_at = Column(_("Updated"), order_by="updated_at", css="text-nowrap")


def answer_field(question):
    common = {"label": question.text, "required": False}
    if question.kind == CallQuestion.Kind.YES_NO:
        return forms.ChoiceField(choices=[("", "—"), (YES, _("Yes")), (NO, _("No"))], **common)
    if question.kind == CallQuestion.Kind.CHOICE:
        return forms.ChoiceField(choices=[("", "—")] + [(c, c) for c in question.choices()], **common)
    return forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), **common)


class CallResultForm(BootstrapMixin, forms.Form):
    """The operator's form: the script's answers, a comment, when to call back; the button pressed
    gives the result. Required answers are checked with the result (only "reached" needs them)."""

    result = forms.ChoiceField(choices=[(s, CallListEntry.State(s).label) for s in CallListEntry.RESULTS])
    call_back_at = forms.DateTimeField(label=_("Call back at"), required=False, widget=DateTimeInput)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for q in self.questions:
            self.fields[f"q_{q.pk}"] = answer_field(q)
            if q.required:
                self.fields[f"q_{q.pk}"].label = f"{q.text} *"
        self._style()

    def answer_fields(self):
        return [self[f"q_{q.pk}"] for q in self.questions]

    def answers(self):
        return {str(q.pk): self.cleaned_data.get(f"q_{q.pk}") or "" for q in self.questions}
