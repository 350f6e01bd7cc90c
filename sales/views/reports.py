"""Sales reports: funnel, forecast, won / lost, failures, interests by employee, profitability.

Built on the activities report views (a filter form, ``build()`` for the page, export rows):
the data come from ``sales.services.reports``; these views parse filters, render and export to
XLSX and PDF. Each report describes its export as a few tables (``tables()``): the XLSX and the
PDF are made from the same rows, so they always agree. Charts read their data from
``json_script`` blocks drawn by static/js/sales-reports.js (no inline JS, CSP).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Model
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views import View

from activities.views.reports import PeriodForm, ReportForm, ReportView
from core.pdf import PdfUnavailable, render_pdf

from ..models import Pipeline, Stage
from ..services import reports

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CHART_CLIENTS = 15  # the profitability chart shows the clients with the largest income
PDF_ROWS = 2000  # per table: WeasyPrint slows down on long tables; the XLSX has every row
MAX_MONTHS = 36  # columns of the interests report


def _users():
    return get_user_model().objects.filter(is_active=True)


def year_to_date(today=None):
    today = today or timezone.localdate()
    return reports.Period(today.replace(month=1, day=1), today.replace(month=12, day=31))


# --- Filter forms ------------------------------------------------------------------------------

class ResponsibleMixin(forms.Form):
    responsible = forms.ModelMultipleChoiceField(label=gettext_lazy("Responsible"), queryset=_users(),
                                                 required=False)


class YearPeriodForm(PeriodForm):
    """A period that defaults to the current year (funnels and profit need more than a month)."""

    def get_defaults(self):
        year = year_to_date()
        return {**super().get_defaults(), "date_from": year.date_from.isoformat(),
                "date_to": year.date_to.isoformat()}


class FunnelForm(ResponsibleMixin, YearPeriodForm):
    pipeline = forms.ModelChoiceField(label=gettext_lazy("Pipeline"), queryset=Pipeline.objects.all(),
                                      empty_label=None)

    def get_defaults(self):
        pipeline = Pipeline.default()
        return {**super().get_defaults(), **({"pipeline": str(pipeline.pk)} if pipeline else {})}

    def filters(self):
        return {"responsible": self.cleaned_data["responsible"]}


class ForecastForm(ResponsibleMixin, ReportForm):
    date_from = forms.DateField(label=gettext_lazy("Expected from"), widget=DATE_WIDGET, required=False)
    date_to = forms.DateField(label=gettext_lazy("Expected until"), widget=DATE_WIDGET, required=False)
    pipeline = forms.ModelChoiceField(label=gettext_lazy("Pipeline"), queryset=Pipeline.objects.all(),
                                      required=False, empty_label=gettext_lazy("All pipelines"))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data

    def filters(self):
        d = self.cleaned_data
        period = None
        if d["date_from"] or d["date_to"]:
            period = reports.Period(d["date_from"] or datetime.date.min, d["date_to"] or datetime.date.max)
        return {"period": period, "pipeline": d["pipeline"], "responsible": d["responsible"]}


class WonLostForm(ResponsibleMixin, PeriodForm):
    pipeline = forms.ModelChoiceField(label=gettext_lazy("Pipeline"), queryset=Pipeline.objects.all(),
                                      required=False, empty_label=gettext_lazy("All pipelines"))

    def filters(self):
        return {"pipeline": self.cleaned_data["pipeline"], "responsible": self.cleaned_data["responsible"]}


class FailuresForm(ResponsibleMixin, PeriodForm):
    def filters(self):
        return {"responsible": self.cleaned_data["responsible"]}


class StageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.pipeline} — {obj.name}"


class InterestsForm(ResponsibleMixin, YearPeriodForm):
    proposal_stage = StageChoiceField(
        label=gettext_lazy("Proposal stage"), empty_label=None,
        queryset=Stage.objects.filter(kind=Stage.Kind.OPEN, pipeline__deleted_at__isnull=True)
        .select_related("pipeline").order_by("pipeline__order", "pipeline__name", "order", "pk"))

    def get_defaults(self):
        stage = reports.default_proposal_stage()
        return {**super().get_defaults(), **({"proposal_stage": str(stage.pk)} if stage else {})}

    def clean(self):
        data = super().clean()
        if not self.errors and len(reports.months(self.period)) > MAX_MONTHS:
            raise forms.ValidationError(_("Choose a period of at most %(months)s months.") % {"months": MAX_MONTHS})
        return data

    def filters(self):
        return {"responsible": self.cleaned_data["responsible"]}


class ProfitabilityForm(ResponsibleMixin, YearPeriodForm):
    client = forms.CharField(label=gettext_lazy("Client"), required=False,
                             widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Name, tax id, phone…")}))

    def filters(self):
        return {"responsible": self.cleaned_data["responsible"], "client": self.cleaned_data["client"]}


# --- Export tables -----------------------------------------------------------------------------

@dataclass
class Table:
    """One table of an export: the XLSX puts them one under another, the PDF prints each."""

    caption: str
    header: list
    rows: list


def amount_header(label, currencies):
    return [f"{label}, {c}" for c in currencies]


def amount_cells(amounts, currencies):
    return [amounts.get(c, reports.ZERO) for c in currencies]


def money_cells(amounts, currencies):
    """[(amount, currency)] in the currency columns' order, for the HTML tables' ``money`` tag."""
    return [(amounts.get(c, reports.ZERO), c) for c in currencies]


def pdf_cell(value):
    """(text, is a number) in the active locale."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return str(value), False
    if isinstance(value, Decimal):
        return number_format(value, 2, force_grouping=True), True
    if isinstance(value, float):
        return number_format(value, 1, force_grouping=True), True
    if isinstance(value, int):
        return number_format(value, force_grouping=True), True
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT"), False
    if isinstance(value, datetime.date):
        return date_format(value, "SHORT_DATE_FORMAT"), False
    return str(value), False


def filter_summary(form):
    """[(label, value)] of the filters that are set, for the PDF's heading."""
    summary = []
    for name, bound in form.fields.items():
        value = form.cleaned_data.get(name)
        if value in (None, "", False) or (hasattr(value, "__len__") and not isinstance(value, (str, Model))
                                          and not len(value)):
            continue
        if isinstance(value, datetime.date):
            text = date_format(value, "SHORT_DATE_FORMAT")
        elif isinstance(bound, forms.ModelMultipleChoiceField):
            text = ", ".join(str(v) for v in value)
        elif isinstance(bound, forms.ModelChoiceField):
            text = bound.label_from_instance(value)
        else:
            text = str(value)
        summary.append((bound.label, text))
    return summary


def month_label(month):
    return date_format(month, "YEAR_MONTH_FORMAT") if month else str(reports.NO_DATE)


# --- Views -------------------------------------------------------------------------------------

class SalesReportView(ReportView):
    """An activities report view that also exports PDF, both files from ``tables()``."""

    description = None  # what the report counts, shown on the page and in the PDF

    def export(self, form, kind):
        if kind == "pdf":
            return self.pdf_response(form)
        return super().export(form, kind)

    def tables(self, form):
        raise NotImplementedError

    def export_rows(self, form):
        tables = self.tables(form)
        for index, table in enumerate(tables):
            if len(tables) > 1:
                if index:
                    yield []
                yield [table.caption]
            yield table.header
            yield from table.rows

    def pdf_response(self, form):
        tables = [{"caption": t.caption, "header": t.header, "truncated": len(t.rows) > PDF_ROWS,
                   "rows": [[pdf_cell(v) for v in row] for row in t.rows[:PDF_ROWS]]} for t in self.tables(form)]
        context = {"title": self.title, "description": self.description, "filters": filter_summary(form),
                   "tables": tables, "limit": PDF_ROWS, "generated_at": timezone.localtime(), "user": self.request.user}
        try:
            pdf = render_pdf("sales/reports/print.html", context, request=self.request)
        except PdfUnavailable as exc:
            return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{self.export_name}.pdf"'
        return response

    def build(self, form):
        return {"description": self.description, **self.report_context(form)}

    def report_context(self, form):
        raise NotImplementedError


class IndexView(LoginRequiredMixin, View):
    def get(self, request):
        return render(request, "sales/reports/index.html", {"reports": REPORTS})


class FunnelReport(SalesReportView):
    form_class = FunnelForm
    template_name = "sales/reports/funnel.html"
    title = gettext_lazy("Sales funnel")
    export_name = "sales-funnel"
    description = gettext_lazy(
        "Deals of the pipeline created in the period. A deal has reached a stage if its stage history "
        "shows it in that stage or a later one (skipping a stage still passes it; moving back does not "
        "undo it); lost is not a step of the funnel. Conversion: the share of the deals that reached a "
        "stage which also reached the next one. Average time in a stage: over completed stays, from "
        "entering the stage to the next move.")

    def data(self, form):
        d = form.cleaned_data
        return reports.funnel(self.request.user, d["pipeline"], form.period, **form.filters())

    def report_context(self, form):
        data = self.data(form)
        for row in data.rows:
            row.money = money_cells(row.amounts, data.currencies)
        chain = [r for r in data.rows if r.in_funnel]
        chart = {"type": "bar", "horizontal": True, "labels": [r.stage.name for r in chain],
                 "datasets": [{"label": _("Reached the stage"), "data": [r.reached for r in chain]},
                              {"label": _("In the stage now"), "data": [r.count for r in chain]}]}
        return {"funnel": data, "total_money": money_cells(data.amounts, data.currencies),
                "charts": [{"id": "funnel-chart", "label": _("Deals per stage"), "spec": chart}]}

    def tables(self, form):
        data = self.data(form)
        header = [_("Stage"), _("Deals now"), *amount_header(_("Amount"), data.currencies), _("Reached"),
                  _("Conversion to the next stage, %"), _("Average time in stage, days")]
        rows = [[r.stage.name, r.count, *amount_cells(r.amounts, data.currencies), r.reached, r.conversion,
                 r.avg_days] for r in data.rows]
        rows.append([_("Total"), data.count, *amount_cells(data.amounts, data.currencies), None,
                     data.won_conversion, None])
        return [Table(str(self.title), header, rows)]


class ForecastReport(SalesReportView):
    form_class = ForecastForm
    template_name = "sales/reports/forecast.html"
    title = gettext_lazy("Sales forecast")
    export_name = "sales-forecast"
    description = gettext_lazy(
        "Open deals by the month they are expected to close: their number, amount, and amount weighted "
        "by the deal's probability (amount × probability). Each currency is counted separately.")

    def data(self, form):
        return reports.forecast(self.request.user, **form.filters())

    def report_context(self, form):
        data = self.data(form)
        currency = next(iter(data.currencies), None)
        dated = [r for r in data.rows if r.currency == currency and r.month]
        chart = {"type": "bar", "money": currency, "labels": [month_label(r.month) for r in dated],
                 "datasets": [{"label": _("Amount, %(currency)s") % {"currency": currency},
                               "data": [float(r.amount) for r in dated]},
                              {"label": _("Weighted amount, %(currency)s") % {"currency": currency},
                               "data": [float(r.weighted) for r in dated]}]}
        return {"forecast": data, "chart_currency": currency,
                "other_currencies": [c for c in data.currencies if c != currency],
                "month_labels": {r.month: month_label(r.month) for r in data.rows},
                "charts": [{"id": "forecast-chart", "label": _("Forecast by month"), "spec": chart}]}

    def tables(self, form):
        data = self.data(form)
        header = [_("Expected month"), _("Currency"), _("Deals"), _("Amount"), _("Weighted amount")]
        rows = [[month_label(r.month), r.currency, r.count, r.amount, r.weighted] for r in data.rows]
        rows += [[_("Total"), t.currency, t.count, t.amount, t.weighted] for t in data.totals.values()]
        return [Table(str(self.title), header, rows)]


class WonLostReport(SalesReportView):
    form_class = WonLostForm
    template_name = "sales/reports/won_lost.html"
    title = gettext_lazy("Won and lost deals")
    export_name = "won-lost"
    description = gettext_lazy(
        "Deals closed in the period (by the date they were won or lost), by responsible, and why the "
        "lost ones were lost. Win rate: won of all closed deals.")

    def data(self, form):
        return reports.won_lost(self.request.user, form.period, **form.filters())

    def report_context(self, form):
        data = self.data(form)
        for row in [*data.rows, data.total]:
            row.won_money = money_cells(row.won_amounts, data.currencies)
            row.lost_money = money_cells(row.lost_amounts, data.currencies)
        for row in data.reasons:
            row.money = money_cells(row.amounts, data.currencies)
        by_user = {"type": "bar", "labels": [r.label for r in data.rows],
                   "datasets": [{"label": _("Won"), "data": [r.won for r in data.rows]},
                                {"label": _("Lost"), "data": [r.lost for r in data.rows]}]}
        by_reason = {"type": "pie", "labels": [r.label for r in data.reasons],
                     "datasets": [{"label": _("Lost deals"), "data": [r.count for r in data.reasons]}]}
        charts = [{"id": "won-lost-chart", "label": _("Won and lost by responsible"), "spec": by_user}]
        if data.reasons:
            charts.append({"id": "lost-reasons-chart", "label": _("Lost reasons"), "spec": by_reason})
        return {"won_lost": data, "charts": charts}

    def tables(self, form):
        data = self.data(form)
        c = data.currencies
        header = [_("Responsible"), _("Won"), *amount_header(_("Won amount"), c), _("Lost"),
                  *amount_header(_("Lost amount"), c), _("Win rate, %")]
        rows = [[r.label, r.won, *amount_cells(r.won_amounts, c), r.lost, *amount_cells(r.lost_amounts, c),
                 r.win_rate] for r in [*data.rows, data.total]]
        reasons = [[r.label, r.count, *amount_cells(r.amounts, c), r.share] for r in data.reasons]
        return [Table(_("By responsible"), header, rows),
                Table(_("Lost reasons"), [_("Lost reason"), _("Deals"), *amount_header(_("Amount"), c),
                                          _("Share, %")], reasons)]


class FailuresReport(SalesReportView):
    form_class = FailuresForm
    template_name = "sales/reports/failures.html"
    title = gettext_lazy("Order failure reasons")
    export_name = "order-failures"
    description = gettext_lazy(
        "Orders dated in the period that fell through, by the reason; the share is of the failed orders.")

    def data(self, form):
        return reports.order_failures(self.request.user, form.period, **form.filters())

    def report_context(self, form):
        data = self.data(form)
        for row in data.reasons:
            row.money = money_cells(row.amounts, data.currencies)
        chart = {"type": "bar", "horizontal": True, "labels": [r.label for r in data.reasons],
                 "datasets": [{"label": _("Orders"), "data": [r.count for r in data.reasons]}]}
        charts = [{"id": "failures-chart", "label": _("Failed orders by reason"), "spec": chart}]
        return {"failures": data, "total_money": money_cells(data.failed_amounts, data.currencies),
                "charts": charts if data.reasons else []}

    def tables(self, form):
        data = self.data(form)
        c = data.currencies
        rows = [[r.label, r.count, *amount_cells(r.amounts, c), r.share] for r in data.reasons]
        rows.append([_("Total"), data.failed, *amount_cells(data.failed_amounts, c), None])
        return [Table(str(self.title), [_("Failure reason"), _("Orders"), *amount_header(_("Amount"), c),
                                        _("Share, %")], rows)]


class InterestsReport(SalesReportView):
    form_class = InterestsForm
    template_name = "sales/reports/interests.html"
    title = gettext_lazy("New client interests and proposals")
    export_name = "interests-proposals"
    description = gettext_lazy(
        "For each employee (the deal's responsible) and month: new client interests — deals created in "
        "the month; proposals — deals that first reached the proposal stage or a later stage (not lost) "
        "in the month, with the sum of their amounts. Deals of the proposal stage's pipeline.")

    def data(self, form):
        return reports.interests(self.request.user, form.period, form.cleaned_data["proposal_stage"],
                                 **form.filters())

    def report_context(self, form):
        data = self.data(form)
        blocks = [(row, row.lines(data.months, data.currencies)) for row in [*data.rows, data.total]]
        labels = [month_label(m) for m in data.months]
        interests = {"type": "bar", "labels": labels,
                     "datasets": [{"label": r.label, "data": [r.interests.get(m, 0) for m in data.months]}
                                  for r in data.rows]}
        charts = [{"id": "interests-chart", "label": _("New client interests by month"), "spec": interests}]
        if data.currencies:
            currency = data.currencies[0]
            sums = {"type": "bar", "money": currency, "labels": labels,
                    "datasets": [{"label": r.label,
                                  "data": [float(r.sums.get(currency, {}).get(m, 0)) for m in data.months]}
                                 for r in data.rows]}
            charts.append({"id": "proposals-chart", "spec": sums,
                           "label": _("Proposal sums by month, %(currency)s") % {"currency": currency}})
        return {"interests": data, "blocks": blocks, "month_labels": labels, "charts": charts}

    def tables(self, form):
        data = self.data(form)
        header = [_("Employee"), _("Indicator"), _("Currency"), *[month_label(m) for m in data.months], _("Total")]
        rows = [[row.label, label, currency, *cells, total]
                for row in [*data.rows, data.total]
                for label, currency, cells, total in row.lines(data.months, data.currencies)]
        return [Table(str(self.title), header, rows)]


class ProfitabilityReport(SalesReportView):
    form_class = ProfitabilityForm
    template_name = "sales/reports/profitability.html"
    title = gettext_lazy("Client profitability")
    export_name = "client-profitability"
    description = gettext_lazy(
        "Orders dated in the period that are in progress or completed (not drafts, not failed). "
        "Income: the order amount; cost: the sum of line quantity × unit cost; profit: income − cost; "
        "margin: profit as a share of income. Each currency is counted separately.")

    def report_context(self, form):
        clients, totals = reports.profitability_by_client(self.request.user, form.period, **form.filters())
        currency = totals[0].currency if totals else None
        top = sorted((r for r in clients if r.currency == currency), key=lambda r: -r.income)[:CHART_CLIENTS]
        chart = {"type": "bar", "money": currency, "labels": [r.name for r in top],
                 "datasets": [{"label": _("Income"), "data": [float(r.income) for r in top]},
                              {"label": _("Cost"), "data": [float(r.cost) for r in top]},
                              {"label": _("Profit"), "data": [float(r.profit) for r in top]}]}
        page = self.paginate(reports.profitability_orders(self.request.user, form.period, **form.filters()))
        for order in page:
            order.margin = reports.margin(order.amount, order.cost)
        label = _("Largest clients by income, %(currency)s") % {"currency": currency}
        return {"clients": clients, "totals": totals, "page": page,
                "charts": [{"id": "profitability-chart", "label": label, "spec": chart}] if top else []}

    def tables(self, form):
        clients, totals = reports.profitability_by_client(self.request.user, form.period, **form.filters())
        money = [_("Income"), _("Cost"), _("Profit"), _("Margin, %")]
        by_client = [[r.name, r.currency, r.orders, r.income, r.cost, r.profit, r.margin]
                     for r in [*clients, *totals]]
        orders = reports.profitability_orders(self.request.user, form.period, **form.filters())
        by_order = [[o.counterparty.name, o.number, o.date, str(o.responsible), o.currency, o.amount, o.cost,
                     o.profit, reports.margin(o.amount, o.cost)] for o in orders.iterator(chunk_size=2000)]
        return [Table(_("By client"), [_("Client"), _("Currency"), _("Orders"), *money], by_client),
                Table(_("By order"), [_("Client"), pgettext("sales order", "Order"), _("Date"), _("Responsible"),
                                      _("Currency"), *money], by_order)]


REPORTS = [
    ("sales:report_funnel", FunnelReport.title,
     gettext_lazy("Deals and amounts per stage, conversion between stages, average time in a stage.")),
    ("sales:report_forecast", ForecastReport.title,
     gettext_lazy("Open deals by expected close month: amount and amount × probability.")),
    ("sales:report_won_lost", WonLostReport.title,
     gettext_lazy("Won and lost deals in a period by responsible, with the reasons for losing.")),
    ("sales:report_order_failures", FailuresReport.title,
     gettext_lazy("Orders that fell through in a period, by the reason.")),
    ("sales:report_interests", InterestsReport.title,
     gettext_lazy("New client interests and proposal sums per employee, month by month.")),
    ("sales:report_profitability", ProfitabilityReport.title,
     gettext_lazy("Income, cost, profit and margin per client and per order.")),
]

urlpatterns = [
    path("reports/", IndexView.as_view(), name="report_index"),
    path("reports/funnel/", FunnelReport.as_view(), name="report_funnel"),
    path("reports/forecast/", ForecastReport.as_view(), name="report_forecast"),
    path("reports/won-lost/", WonLostReport.as_view(), name="report_won_lost"),
    path("reports/order-failures/", FailuresReport.as_view(), name="report_order_failures"),
    path("reports/interests/", InterestsReport.as_view(), name="report_interests"),
    path("reports/profitability/", ProfitabilityReport.as_view(), name="report_profitability"),
]
