"""Filters of the analytics lists and API (runs, a run's rows, the at-risk list)."""

import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.filtersets import BaseFilterSet, ChosenObjectWidget

from .models import ABC, XYZ, AnalysisRun, ClientAnalysis, Measure, RiskFlag, RiskReason, Stage


def _users():
    return get_user_model().objects.filter(is_active=True)


class RunFilterSet(BaseFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=AnalysisRun.Status.choices)
    measure = django_filters.ChoiceFilter(label=_("Measure"), choices=Measure.choices)
    nightly = django_filters.BooleanFilter(label=_("Nightly"))

    class Meta:
        model = AnalysisRun
        fields = []


class ClientAnalysisFilterSet(BaseFilterSet):
    """A run's rows: by class, stage, XYZ class (effective values), main manager, client name."""

    q = django_filters.CharFilter(label=_("Client"), field_name="counterparty__name", lookup_expr="icontains")
    abc = django_filters.ChoiceFilter(label=_("ABC class"), field_name="abc_effective", choices=ABC.choices)
    stage = django_filters.ChoiceFilter(label=pgettext_lazy("relationship", "Stage"), field_name="stage_effective",
                                      choices=Stage.choices)
    xyz = django_filters.ChoiceFilter(label=_("XYZ class"), field_name="xyz_effective", choices=XYZ.choices)
    main_manager = django_filters.ModelChoiceFilter(label=_("Main manager"), queryset=_users())

    class Meta:
        model = ClientAnalysis
        fields = []


class RiskFlagFilterSet(BaseFilterSet):
    """The at-risk list: the current run's flags unless ``run`` names another one."""

    q = django_filters.CharFilter(label=_("Client"), field_name="counterparty__name", lookup_expr="icontains")
    reason = django_filters.MultipleChoiceFilter(label=_("Reason"), choices=RiskReason.choices)
    main_manager = django_filters.ModelMultipleChoiceFilter(label=_("Main manager"), queryset=_users())
    run = django_filters.NumberFilter(label=_("Analysis run"), widget=ChosenObjectWidget("analytics.AnalysisRun"))

    class Meta:
        model = RiskFlag
        fields = []
