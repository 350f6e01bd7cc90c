"""The sales tiles of the core dashboard (money in, expected sales, open deals by stage).

The page itself is core's (``core.views.dashboard``); the old address redirects there.
"""

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.dashboard import DashboardTile, Moment, register_tile

from ..models import Pipeline
from ..services import dashboard

BUCKET_LABELS = {"overdue": gettext_lazy("Overdue"), "later": gettext_lazy("Later"),
                 "none": gettext_lazy("No date")}


def bucket_label(bucket):
    if bucket.key in BUCKET_LABELS:
        return str(BUCKET_LABELS[bucket.key])
    return date_format(bucket.month, "YEAR_MONTH_FORMAT")


def money_tile(user, request, now):
    return {"money": dashboard.money_in(user, Moment(now))}


def forecast_tile(user, request, now):
    forecast, currencies = dashboard.expected_sales(user, Moment(now))
    for bucket in forecast:
        bucket.label = bucket_label(bucket)
        bucket.cells = [(bucket.amounts.get(c), bucket.expected.get(c)) for c in currencies]
    return {
        "forecast": forecast, "forecast_currencies": currencies,
        "forecast_chart": {
            "type": "bar", "labels": [b.label for b in forecast],
            "datasets": [{"label": _("Expected, %(currency)s") % {"currency": c},
                          "data": [float(b.expected.get(c, 0)) for b in forecast]} for c in currencies]},
    }


def stages_tile(user, request, now):
    pipeline = Pipeline.default()
    stages = dashboard.open_deals_by_stage(user, pipeline)
    return {
        "pipeline": pipeline, "stages": stages,
        "stage_chart": {
            "type": "bar", "labels": [stage.name for stage, _count, _sums in stages],
            "datasets": [{"label": _("Open deals"), "data": [count for _s, count, _sums in stages]}]},
    }


def register():
    """Called from ``SalesConfig.ready()``; the activities' employees tile comes after these."""
    for order, tile in [
        (10, DashboardTile("money", gettext_lazy("Revenue and payments"), "sales/dashboard/money.html", money_tile)),
        (20, DashboardTile("forecast", gettext_lazy("Expected sales"), "sales/dashboard/forecast.html",
                           forecast_tile)),
        (30, DashboardTile("stages", gettext_lazy("Open deals by stage"), "sales/dashboard/stages.html",
                           stages_tile)),
    ]:
        register_tile(tile, order)
