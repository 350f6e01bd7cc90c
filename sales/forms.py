from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from activities.forms import CounterpartyBoundForm
from core.forms import BaseModelForm

from .models import Deal, DealLine, LostReason, Pipeline, Stage, StageRule


class DealLineForm(BaseModelForm):
    class Meta:
        model = DealLine
        fields = ["product", "quantity", "price"]


DealLineFormSet = forms.inlineformset_factory(Deal, DealLine, form=DealLineForm, extra=2, can_delete=True)


class DealForm(CounterpartyBoundForm):
    class Meta:
        model = Deal
        fields = ["title", "counterparty", "stage", "amount", "currency", "probability",
                  "expected_close_date", "responsible", "lead_source", "lost_reason", "result_comment"]
        widgets = {"expected_close_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "result_comment": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"probability": _("Empty: the stage's probability.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.restrict_counterparty()
        self.restrict_assign("responsible")
        self.fields["responsible"].queryset = get_user_model().objects.filter(is_active=True)
        self.fields["stage"].queryset = Stage.objects.filter(pipeline__deleted_at__isnull=True).select_related(
            "pipeline").order_by("pipeline__order", "pipeline_id", "order")
        if len(Pipeline.objects.all()[:2]) > 1:
            self.fields["stage"].label_from_instance = lambda s: f"{s.pipeline} · {s}"
        if not self.instance.pk and "stage" not in self.initial:
            pipeline = Pipeline.default()
            first = pipeline.first_stage() if pipeline else None
            self.initial["stage"] = first.pk if first else None
        self._style()
        # The products are part of the deal's form: saved together, in one transaction.
        self.lines = DealLineFormSet(self.data or None, instance=self.instance, prefix="lines",
                                     form_kwargs={"user": self.user})

    def is_valid(self):
        return all([super().is_valid(), self.lines.is_valid()])

    def save(self, commit=True):
        deal = super().save(commit)
        self.lines.instance = deal
        for line in self.lines.save(commit=False):
            line.save()
        for line in self.lines.deleted_objects:
            line.delete()  # soft delete, like everything else
        return deal

    def clean_responsible(self):
        from core import access

        if not access.can_assign(self.user) and not self.instance.pk:
            return self.user
        return self.cleaned_data.get("responsible")


class PipelineForm(BaseModelForm):
    class Meta:
        model = Pipeline
        fields = ["name", "is_default", "order"]


class StageForm(BaseModelForm):
    class Meta:
        model = Stage
        fields = ["pipeline", "name", "order", "probability", "kind"]


class LostReasonForm(BaseModelForm):
    class Meta:
        model = LostReason
        fields = ["name", "order"]


class StageRuleForm(BaseModelForm):
    class Meta:
        model = StageRule
        fields = ["stage", "title", "description", "assignee_kind", "user", "role", "deadline_amount",
                  "deadline_unit", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.select_related("pipeline").order_by(
            "pipeline__order", "pipeline_id", "order")
        self.fields["stage"].label_from_instance = lambda s: f"{s.pipeline} · {s}"
        self.fields["user"].queryset = get_user_model().objects.filter(is_active=True)
