"""Forms, filters and tables of the surveys, and the answer form (public link and operator screen)."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from clients.forms import SoftDeleteInlineFormSet
from core.filtersets import BaseFilterSet
from core.forms import BaseModelForm, BootstrapMixin
from core.tables import Column, Table

from .models import Channel, Question, Survey, SurveyInvitation, SurveyRule


class SurveyForm(BaseModelForm):
    class Meta:
        model = Survey
        fields = ["name", "channel", "active", "description", "link_days", "thanks"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class QuestionForm(BaseModelForm):
    class Meta:
        model = Question
        fields = ["order", "text", "kind", "options", "required"]
        widgets = {"options": forms.Textarea(attrs={"rows": 1}),
                   "order": forms.NumberInput(attrs={"style": "max-width:6em"})}


QuestionFormSet = inlineformset_factory(
    Survey, Question, form=QuestionForm, formset=SoftDeleteInlineFormSet, extra=1, can_delete=True)


class SurveyRuleForm(BaseModelForm):
    class Meta:
        model = SurveyRule
        fields = ["name", "survey", "audience", "product", "frequency", "active", "operator", "quiet_days", "limit"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survey"].queryset = Survey.objects.filter(active=True)
        self.fields["operator"].queryset = get_user_model().objects.filter(is_active=True)


class InvitationForm(BaseModelForm):
    """Invite one client by hand (an email goes out at once; a phone one joins the queue)."""

    class Meta:
        model = SurveyInvitation
        fields = ["survey", "counterparty", "contact_person", "product", "operator"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survey"].queryset = Survey.objects.filter(active=True)
        self.fields["operator"].queryset = get_user_model().objects.filter(is_active=True)
        if self.instance.pk:
            self.fields["survey"].disabled = True
            self.fields["counterparty"].disabled = True


class SurveyFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains")
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices)

    class Meta:
        model = Survey
        fields = []


class SurveyRuleFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains")

    class Meta:
        model = SurveyRule
        fields = []


class InvitationFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    survey = django_filters.ModelChoiceFilter(label=_("Survey"), queryset=Survey.objects.all())
    state = django_filters.MultipleChoiceFilter(label=_("State"), choices=SurveyInvitation.State.choices)
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices)

    class Meta:
        model = SurveyInvitation
        fields = []

    def search(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Q(counterparty__name__icontains=value) | Q(address__icontains=value))


class SurveyTable(Table):
    default_sort = "name"

    name = Column(_("Survey"), order_by="name", linkify=True)
    channel = Column(_("Channel"))
    active = Column(_("Active"))
    updated_at = Column(_("Updated"), order_by="updated_at", css="text-nowrap")


class SurveyRuleTable(Table):
    default_sort = "name"

    name = Column(_("Survey rule"), order_by="name", linkify=True)
    survey = Column(_("Survey"))
    audience = Column(_("Audience"))
    frequency = Column(_("Frequency"))
    active = Column(_("Active"))


class InvitationTable(Table):
    default_sort = "-created_at"

    counterparty = Column(_("Client"), order_by="counterparty__name", linkify=True)
    survey = Column(_("Survey"))
    channel = Column(_("Channel"))
    state = Column(_("State"))
    sent_at = Column(_("Sent"), order_by="sent_at", css="text-nowrap")
    answered_at = Column(_("Answered"), order_by="answered_at", css="text-nowrap")
    created_at = Column(_("Created"), order_by="created_at", css="text-nowrap")


def answer_field(question):
    """A form field per question kind; ratings and NPS are rows of radio buttons (big on a phone)."""
    common = {"label": question.text, "required": False}
    if question.kind in Question.RANGES:
        low, high = Question.RANGES[question.kind]
        return forms.TypedChoiceField(choices=[(str(n), str(n)) for n in range(low, high + 1)], coerce=int,
                                      widget=forms.RadioSelect(attrs={"class": "btn-check"}), **common)
    if question.kind == Question.Kind.SINGLE:
        return forms.ChoiceField(choices=[(c, c) for c in question.choices()], widget=forms.RadioSelect, **common)
    if question.kind == Question.Kind.MULTIPLE:
        return forms.MultipleChoiceField(choices=[(c, c) for c in question.choices()],
                                         widget=forms.CheckboxSelectMultiple, **common)
    return forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 3, "aria-label": question.text}),
                           **common)


class AnswerForm(BootstrapMixin, forms.Form):
    """The survey's questions; required ones are checked by ``surveys.clean_answers``."""

    def __init__(self, *args, questions=(), comment=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for q in self.questions:
            self.fields[f"q_{q.pk}"] = answer_field(q)
        if comment:
            self.fields["comment"] = forms.CharField(label=_("Comment"), required=False, max_length=4000,
                                                     widget=forms.Textarea(attrs={"rows": 2}))
        self._style()

    def rows(self):
        return [(q, self[f"q_{q.pk}"]) for q in self.questions]

    def raw(self):
        return {str(q.pk): self.cleaned_data.get(f"q_{q.pk}") for q in self.questions}

    def add_errors(self, exc):
        for field, errors in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, errors)
