"""Forms of the analytics pages: starting a run, the analysis settings."""

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dates import BoundedDateField
from core.forms import BaseModelForm, BootstrapMixin, DateInput

from .models import DEFAULT_KPI_WEIGHTS, AnalysisSettings, Indicator, Measure

WEIGHT_PREFIX = "weight_"
WEIGHT_LIMIT = Decimal("100")


def period_errors(analysis_date, period_start, period_end):
    """{field: message} of an inconsistent run request (shared by the page and the API)."""
    errors = {}
    if (period_start is None) != (period_end is None):
        missing = "period_end" if period_end is None else "period_start"
        errors[missing] = _("Give both ends of the period, or neither (the default period).")
    elif period_start is not None and period_start > period_end:
        errors["period_end"] = _("The period must not end before it starts.")
    elif period_end is not None and analysis_date is not None and period_end > analysis_date:
        errors["period_end"] = _("The period must end on or before the analysis date.")
    return errors


class RunForm(BootstrapMixin, forms.Form):
    """What a head may choose when starting a run; the rest comes from the analysis settings."""

    analysis_date = BoundedDateField(label=_("Analysis date"), widget=DateInput)
    measure = forms.ChoiceField(label=_("ABC measure"), choices=Measure.choices)
    period_start = BoundedDateField(label=_("Period from"), widget=DateInput, required=False,
                                    help_text=_("Empty: the full months before the analysis date."))
    period_end = BoundedDateField(label=_("Period to"), widget=DateInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["analysis_date"].initial = timezone.localdate()
        self.fields["measure"].initial = AnalysisSettings.load().measure
        self._style()

    def clean(self):
        data = super().clean()
        if not self.errors:
            for name, message in period_errors(data.get("analysis_date"), data.get("period_start"),
                                               data.get("period_end")).items():
                self.add_error(name, message)
        return data


def weight_field(indicator):
    return forms.DecimalField(
        label=_("Weight: %(indicator)s") % {"indicator": indicator.label}, required=True,
        max_digits=6, decimal_places=2, help_text=_("0: does not count."),
        validators=[MinValueValidator(-WEIGHT_LIMIT), MaxValueValidator(WEIGHT_LIMIT)])


def stored_weight(value):
    """A weight as kept in the JSON column: an integer when whole, else its decimal text."""
    return int(value) if value == value.to_integral_value() else str(value.normalize())


class AnalysisSettingsForm(BaseModelForm):
    """The settings row, with one number per manager indicator for ``kpi_weights``."""

    class Meta:
        model = AnalysisSettings
        exclude = ("kpi_weights",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.kpi_weights or {}
        for indicator in Indicator:
            name = WEIGHT_PREFIX + indicator.value
            self.fields[name] = weight_field(indicator)
            try:
                self.initial[name] = Decimal(str(stored.get(indicator.value, DEFAULT_KPI_WEIGHTS[indicator.value])))
            except ArithmeticError:  # a hand-edited value that is not a number: the default
                self.initial[name] = Decimal(DEFAULT_KPI_WEIGHTS[indicator.value])
        self._style()

    def save(self, commit=True):
        weights = dict(self.instance.kpi_weights or {})
        for indicator in Indicator:
            weights[indicator.value] = stored_weight(self.cleaned_data[WEIGHT_PREFIX + indicator.value])
        self.instance.kpi_weights = weights
        return super().save(commit)
