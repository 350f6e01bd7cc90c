"""The management dashboard (home page for heads; a manager opening it sees their own figures)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.urls import path
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from core import access

from ..services import dashboard

BUCKET_LABELS = {"overdue": gettext_lazy("Overdue"), "later": gettext_lazy("Later"),
                 "none": gettext_lazy("No date")}


def bucket_label(bucket):
    if bucket.key in BUCKET_LABELS:
        return str(BUCKET_LABELS[bucket.key])
    return date_format(bucket.month, "YEAR_MONTH_FORMAT")


class DashboardView(LoginRequiredMixin, View):
    def get(self, request):
        data = dashboard.build(request.user)
        for bucket in data["forecast"]:
            bucket.label = bucket_label(bucket)
            bucket.cells = [(bucket.amounts.get(c), bucket.expected.get(c)) for c in data["forecast_currencies"]]
        return render(request, "sales/dashboard.html", {
            **data, "whole_company": access.rule_for(request.user)[0] == "all",
            "forecast_chart": {
                "type": "bar", "labels": [b.label for b in data["forecast"]],
                "datasets": [{"label": _("Expected, %(currency)s") % {"currency": c},
                              "data": [float(b.expected.get(c, 0)) for b in data["forecast"]]}
                             for c in data["forecast_currencies"]]},
            "stage_chart": {
                "type": "bar", "labels": [stage.name for stage, _count, _sums in data["stages"]],
                "datasets": [{"label": _("Open deals"), "data": [count for _s, count, _sums in data["stages"]]}]},
        })


urlpatterns = [
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
]
