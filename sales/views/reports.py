"""Sales reports (funnel, forecast, won / lost, failures, interests, profitability), declared on the
core report framework: filters, columns and where the rows come from (``sales.services.reports``,
narrowed with ``restrict``); core.reports makes the page, the charts, the XLSX and the PDF.
The old URL names redirect to /reports/<slug>/.
"""

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.reports import (
    BoundedDateField,
    BoundTable,
    Chart,
    Column,
    ModelChoiceField,
    ModelMultipleChoiceField,
    Note,
    PeriodForm,
    Report,
    ReportForm,
    Table,
    YearPeriodForm,
    per_currency,
    register,
)

from ..models import Pipeline, Stage
from ..services import reports

GROUP = gettext_lazy("Sales")
MAX_MONTHS = 36  # columns of the interests report


def _users():
    return get_user_model().objects.filter(is_active=True)


# --- Filters -----------------------------------------------------------------------------------

class ResponsibleMixin(forms.Form):
    responsible = ModelMultipleChoiceField(label=gettext_lazy("Responsible"), queryset=_users(), required=False)


class FunnelForm(ResponsibleMixin, YearPeriodForm):
    pipeline = ModelChoiceField(label=gettext_lazy("Pipeline"), queryset=Pipeline.objects.all(), empty_label=None)

    def get_defaults(self):
        pipeline = Pipeline.default()
        return {**super().get_defaults(), **({"pipeline": str(pipeline.pk)} if pipeline else {})}


class ForecastForm(ResponsibleMixin, ReportForm):
    date_from = BoundedDateField(label=gettext_lazy("Expected from"), required=False)
    date_to = BoundedDateField(label=gettext_lazy("Expected until"), required=False)
    pipeline = ModelChoiceField(label=gettext_lazy("Pipeline"), queryset=Pipeline.objects.all(), required=False,
                                empty_label=gettext_lazy("All pipelines"))


class WonLostForm(ResponsibleMixin, PeriodForm):
    pipeline = ModelChoiceField(label=gettext_lazy("Pipeline"), queryset=Pipeline.objects.all(), required=False,
                                empty_label=gettext_lazy("All pipelines"))


class FailuresForm(ResponsibleMixin, PeriodForm):
    pass


class StageChoiceField(ModelChoiceField):
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
        if not self.errors and len(self.period.months()) > MAX_MONTHS:
            raise forms.ValidationError(_("Choose a period of at most %(months)s months.") % {"months": MAX_MONTHS})
        return data


class ProfitabilityForm(ResponsibleMixin, YearPeriodForm):
    client = forms.CharField(label=gettext_lazy("Client"), required=False, max_length=200,
                             widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Name, tax id, phone…")}))


def period(filters):
    return reports.Period(filters["date_from"], filters["date_to"])


def month_label(month):
    return date_format(month, "YEAR_MONTH_FORMAT") if month else str(reports.NO_DATE)


def currencies(label):
    """``each`` of a money column: one per currency of the report's result."""
    return lambda report: per_currency(label, report.result.currencies)


def first_currency_chart(report, tables, chart, currency):
    """A chart of one currency's rows (amounts in different currencies are never added up)."""
    specs = []
    if currency is not None:
        report.charts = [chart]
        specs = Report.chart_specs(report, tables)
        for spec in specs:
            spec["spec"]["money"] = currency
        report.charts = []
    return specs


# --- 1. Funnel ---------------------------------------------------------------------------------

@register
class FunnelReport(Report):
    slug = "funnel"
    legacy_url = "sales:report_funnel"
    group, group_order = GROUP, 110
    title = gettext_lazy("Sales funnel")
    description = gettext_lazy("Deals and amounts per stage, conversion between stages, average time in a stage.")
    definition = gettext_lazy(
        "Deals of the pipeline created in the period. A deal has reached a stage if its stage history "
        "shows it in that stage or a later one (skipping a stage still passes it; moving back does not "
        "undo it); lost is not a step of the funnel. Conversion: the share of the deals that reached a "
        "stage which also reached the next one. Average time in a stage: over completed stays, from "
        "entering the stage to the next move.")
    form_class = FunnelForm
    tables = [Table("report", gettext_lazy("Sales funnel"), [
        Column("stage", gettext_lazy("Stage")),
        Column("count", gettext_lazy("Deals now"), "int"),
        Column("amount", "", "money", each=currencies(gettext_lazy("Amount"))),
        Column("reached", gettext_lazy("Reached"), "int"),
        Column("conversion", gettext_lazy("Conversion to the next stage, %"), "percent"),
        Column("avg_days", gettext_lazy("Average time in stage, days"), "decimal"),
    ], totals="totals")]
    charts = [Chart(gettext_lazy("Deals per stage"), label="stage", values=["reached", "count"], horizontal=True,
                    where=lambda row: row["reached"] is not None)]

    def compute(self, filters, user):
        return reports.funnel(user, filters["pipeline"], period(filters), responsible=filters["responsible"])

    def rows(self, filters, user):
        return [{"stage": r.stage.name, "count": r.count, "amount": r.amounts, "reached": r.reached,
                 "conversion": r.conversion, "avg_days": r.avg_days} for r in self.result.rows]

    def totals(self, filters, user):
        data = self.result
        return [{"_level": "total", "stage": str(_("Total")), "count": data.count, "amount": data.amounts,
                 "conversion": data.won_conversion}]

    def notes(self, filters):
        return [Note(_("The total conversion is the share of the deals that reached the first stage and were "
                       "won."))]


# --- 2. Forecast -------------------------------------------------------------------------------

@register
class ForecastReport(Report):
    slug = "forecast"
    legacy_url = "sales:report_forecast"
    group, group_order = GROUP, 120
    title = gettext_lazy("Sales forecast")
    description = gettext_lazy("Open deals by expected close month: amount and amount × probability.")
    definition = gettext_lazy(
        "Open deals by the month they are expected to close: their number, amount, and amount weighted "
        "by the deal's probability (amount × probability). Each currency is counted separately.")
    form_class = ForecastForm
    tables = [Table("report", gettext_lazy("Sales forecast"), [
        Column("month", gettext_lazy("Expected month")),
        Column("currency", gettext_lazy("Currency")),
        Column("count", gettext_lazy("Deals"), "int"),
        Column("amount", gettext_lazy("Amount"), "money", currency_key="currency"),
        Column("weighted", gettext_lazy("Weighted amount"), "money", currency_key="currency"),
    ])]

    def compute(self, filters, user):
        dates = None
        if filters["date_from"] or filters["date_to"]:
            dates = reports.Period(filters["date_from"] or datetime.date.min, filters["date_to"] or datetime.date.max)
        return reports.forecast(user, period=dates, pipeline=filters["pipeline"], responsible=filters["responsible"])

    def rows(self, filters, user):
        data = self.result
        rows = [{"month": month_label(r.month), "dated": r.month is not None, "currency": r.currency,
                 "count": r.count, "amount": r.amount, "weighted": r.weighted} for r in data.rows]
        return rows + [{"_level": "total", "month": str(_("Total")), "currency": t.currency, "count": t.count,
                        "amount": t.amount, "weighted": t.weighted} for t in data.totals.values()]

    def chart_specs(self, tables):
        currency = next(iter(self.result.currencies), None)
        chart = Chart(gettext_lazy("Forecast by month"), label="month", values=["amount", "weighted"],
                      where=lambda row: row["dated"] and row["currency"] == currency)
        return first_currency_chart(self, tables, chart, currency)

    def notes(self, filters):
        data, notes = self.result, []
        if len(data.currencies) > 1:
            notes.append(Note(_("The chart shows deals in %(currency)s only; deals in %(others)s are in the table, "
                                "each currency separately (amounts in different currencies are never added up).")
                              % {"currency": data.currencies[0], "others": ", ".join(data.currencies[1:])},
                              testid="currency-note", alert=True))
        notes.append(Note(_("A deal without its own probability takes its stage's probability. Overdue open deals "
                            "stay in the month they were expected.")))
        return notes


# --- 3. Won / lost -----------------------------------------------------------------------------

@register
class WonLostReport(Report):
    slug = "won-lost"
    legacy_url = "sales:report_won_lost"
    group, group_order = GROUP, 130
    title = gettext_lazy("Won and lost deals")
    description = gettext_lazy("Won and lost deals in a period by responsible, with the reasons for losing.")
    definition = gettext_lazy(
        "Deals closed in the period (by the date they were won or lost), by responsible, and why the "
        "lost ones were lost. Win rate: won of all closed deals.")
    form_class = WonLostForm
    tables = [
        Table("report", gettext_lazy("By responsible"), [
            Column("responsible", gettext_lazy("Responsible")),
            Column("won", gettext_lazy("Won"), "int"),
            Column("won_amount", "", "money", each=currencies(gettext_lazy("Won amount"))),
            Column("lost", gettext_lazy("Lost"), "int"),
            Column("lost_amount", "", "money", each=currencies(gettext_lazy("Lost amount"))),
            Column("win_rate", gettext_lazy("Win rate, %"), "percent"),
        ]),
        Table("reasons", gettext_lazy("Lost reasons"), [
            Column("reason", gettext_lazy("Lost reason")),
            Column("count", gettext_lazy("Deals"), "int"),
            Column("amount", "", "money", each=currencies(gettext_lazy("Amount"))),
            Column("share", gettext_lazy("Share, %"), "percent"),
        ], rows="reasons", empty=gettext_lazy("No lost deals.")),
    ]
    charts = [Chart(gettext_lazy("Won and lost by responsible"), label="responsible", values=["won", "lost"]),
              Chart(gettext_lazy("Lost reasons"), table="reasons", type="pie", label="reason", values=["count"])]

    def compute(self, filters, user):
        return reports.won_lost(user, period(filters), pipeline=filters["pipeline"],
                                responsible=filters["responsible"])

    def rows(self, filters, user):
        data = self.result
        return [{"_level": "total" if r is data.total else "", "responsible": r.label, "won": r.won,
                 "won_amount": r.won_amounts, "lost": r.lost, "lost_amount": r.lost_amounts, "win_rate": r.win_rate}
                for r in [*data.rows, data.total]]

    def reasons(self, filters, user):
        return [{"reason": r.label, "count": r.count, "amount": r.amounts, "share": r.share}
                for r in self.result.reasons]


# --- 4. Order failures -------------------------------------------------------------------------

@register
class FailuresReport(Report):
    slug = "order-failures"
    legacy_url = "sales:report_order_failures"
    group, group_order = GROUP, 140
    title = gettext_lazy("Order failure reasons")
    description = gettext_lazy("Orders that fell through in a period, by the reason.")
    definition = gettext_lazy(
        "Orders dated in the period that fell through, by the reason; the share is of the failed orders.")
    form_class = FailuresForm
    tables = [Table("report", gettext_lazy("Order failure reasons"), [
        Column("reason", gettext_lazy("Failure reason")),
        Column("count", gettext_lazy("Orders"), "int", total=True),
        Column("amount", "", "money", total=True, each=currencies(gettext_lazy("Amount"))),
        Column("share", gettext_lazy("Share, %"), "percent"),
    ])]
    charts = [Chart(gettext_lazy("Failed orders by reason"), label="reason", values=["count"], horizontal=True)]

    def compute(self, filters, user):
        return reports.order_failures(user, period(filters), responsible=filters["responsible"])

    def rows(self, filters, user):
        return [{"reason": r.label, "count": r.count, "amount": r.amounts, "share": r.share}
                for r in self.result.reasons]

    def notes(self, filters):
        data = self.result
        text = _("%(failed)s of %(orders)s orders in the period fell through") % {"failed": data.failed,
                                                                                   "orders": data.orders}
        if data.failed_share is not None:
            text += f" ({floatformat(data.failed_share, 1)}%)"
        return [Note(text + ".", testid="failed-share")]


# --- 5. New client interests and proposals ------------------------------------------------------

@register
class InterestsReport(Report):
    slug = "interests"
    legacy_url = "sales:report_interests"
    group, group_order = GROUP, 150
    title = gettext_lazy("New client interests and proposals")
    description = gettext_lazy("New client interests and proposal sums per employee, month by month.")
    definition = gettext_lazy(
        "For each employee (the deal's responsible) and month: new client interests — deals created in "
        "the month; proposals — deals that first reached the proposal stage or a later stage (not lost) "
        "in the month, with the sum of their amounts. Deals of the proposal stage's pipeline.")
    form_class = InterestsForm
    tables = [Table("report", gettext_lazy("New client interests and proposals"), [
        Column("employee", gettext_lazy("Employee")),
        Column("indicator", gettext_lazy("Indicator")),
        Column("currency", gettext_lazy("Currency")),
        # Counts (ints) and proposal sums (money in the line's currency) share the month columns.
        Column("months", "", "money", currency_key="currency",
               each=lambda report: [(m, month_label(m), None) for m in report.result.months]),
        Column("total", gettext_lazy("Total"), "money", currency_key="currency"),
    ])]

    def compute(self, filters, user):
        return reports.interests(user, period(filters), filters["proposal_stage"],
                                 responsible=filters["responsible"])

    def rows(self, filters, user):
        data, rows = self.result, []
        for row in [*data.rows, data.total]:
            for label, currency, cells, total in row.lines(data.months, data.currencies):
                months = dict(zip(data.months, cells, strict=True))
                rows.append({"_level": "total" if row is data.total else "", "employee": row.label,
                             "indicator": label, "currency": currency, "months": months, "total": total})
        return rows

    def chart_specs(self, tables):
        data = self.result
        labels = [month_label(m) for m in data.months]
        if not data.rows:
            return []
        charts = [{"id": "interests-chart", "label": _("New client interests by month"),
                   "spec": {"type": "bar", "labels": labels,
                            "datasets": [{"label": r.label, "data": [r.interests.get(m, 0) for m in data.months]}
                                         for r in data.rows]}}]
        if data.currencies:
            currency = data.currencies[0]
            charts.append({"id": "proposals-chart",
                           "label": _("Proposal sums by month, %(currency)s") % {"currency": currency},
                           "spec": {"type": "bar", "money": currency, "labels": labels, "datasets": [
                               {"label": r.label, "data": [float(r.sums.get(currency, {}).get(m, 0))
                                                           for m in data.months]} for r in data.rows]}})
        return charts

    def notes(self, filters):
        stage = filters["proposal_stage"]
        return [Note(_("Proposal stage: “%(stage)s” of the pipeline “%(pipeline)s”.")
                     % {"stage": stage.name, "pipeline": stage.pipeline.name})]


# --- 6. Profitability --------------------------------------------------------------------------

MONEY_COLUMNS = [
    Column("income", gettext_lazy("Income"), "money", currency_key="currency"),
    Column("cost", gettext_lazy("Cost"), "money", currency_key="currency"),
    Column("profit", gettext_lazy("Profit"), "money", currency_key="currency"),
    Column("margin", gettext_lazy("Margin, %"), "percent"),
]


PAGE_LINES = 100  # lines a page shows of a table that is not paged; the XLSX export has them all


@register
class ProfitabilityReport(Report):
    slug = "profitability"
    legacy_url = "sales:report_profitability"
    group, group_order = GROUP, 160
    title = gettext_lazy("Client profitability")
    description = gettext_lazy("Income, cost, profit and margin per client and per order.")
    definition = gettext_lazy(
        "Orders dated in the period that are in progress or completed (not drafts, not failed). "
        "Income: the order amount; cost: the sum of line quantity × unit cost; profit: income − cost; "
        "margin: profit as a share of income. Each currency is counted separately.")
    form_class = ProfitabilityForm
    tables = [
        Table("report", gettext_lazy("By client"), [
            Column("client", gettext_lazy("Client"), link=True),
            Column("currency", gettext_lazy("Currency")),
            Column("orders", gettext_lazy("Orders"), "int"),
            *MONEY_COLUMNS,
        ], row="client_row", totals="client_totals", html_limit=PAGE_LINES),  # a year: ~all the clients
        Table("orders", gettext_lazy("By order"), [
            Column("client", gettext_lazy("Client")),
            Column("number", pgettext_lazy("sales order", "Order"), link=True),
            Column("date", gettext_lazy("Date"), "date"),
            Column("responsible", gettext_lazy("Responsible")),
            Column("currency", gettext_lazy("Currency")),
            *MONEY_COLUMNS,
        ], rows="orders", row="order_row", paginate=True, count="order_count"),
        Table("products", gettext_lazy("By product"), [
            Column("product", gettext_lazy("Product"), link=True),
            Column("article", gettext_lazy("Article")),
            Column("currency", gettext_lazy("Currency")),
            Column("quantity", gettext_lazy("Quantity"), "decimal"),
            *MONEY_COLUMNS,
        ], rows="products", html_limit=PAGE_LINES),
    ]

    def products(self, filters, user):
        """Sales by product: order lines grouped by catalogue product (free-text lines by name)."""
        return [{"product": r.name, "product_url": reverse("sales:product", args=[r.product_id])
                 if r.product_id else None, "article": r.article, "currency": r.currency,
                 "quantity": r.quantity, "income": r.income, "cost": r.cost, "profit": r.profit,
                 "margin": r.margin} for r in reports.sales_by_product(user, period(filters),
                                                                      **self.filters_for(filters))]

    def filters_for(self, filters):
        return {"responsible": filters["responsible"], "client": filters["client"]}

    def compute(self, filters, user):
        """The totals per currency (all the clients' rows are only read where they are shown)."""
        self.months = reports.profit_months(user, period(filters), **self.filters_for(filters))
        return reports.profitability_totals(self.months)

    def clients(self, filters, user):
        """The clients with income in name order, read once for both tables."""
        if not hasattr(self, "_clients"):
            self._clients = reports.clients_with_income(user, period(filters), **self.filters_for(filters))
        return self._clients

    def rows(self, filters, user):
        return reports.ClientProfits(user, period(filters), self.clients(filters, user), **self.filters_for(filters))

    def client_row(self, grouped):
        return self.profit_row(reports.client_profit(grouped))

    def client_totals(self, filters, user):
        return [self.profit_row(r) for r in self.result]

    def profit_row(self, r):
        return {"_level": "total" if r.counterparty_id is None else "", "client": r.name,
                "client_url": reverse("clients:counterparty", args=[r.counterparty_id]) if r.counterparty_id
                else None, "currency": r.currency, "orders": r.orders, "income": r.income, "cost": r.cost,
                "profit": r.profit, "margin": r.margin}

    def orders(self, filters, user):
        orders = reports.profitability_orders(user, period(filters), **self.filters_for(filters))
        clients = self.clients(filters, user)
        return orders if clients is None else reports.ClientOrders(orders, clients)

    def order_count(self):
        return sum(r.orders for r in self.result)  # the totals count them

    def order_row(self, o):
        return {"client": o.counterparty.name, "number": o.number,
                "number_url": reverse("sales:order_detail", args=[o.pk]), "date": o.date,
                "responsible": str(o.responsible), "currency": o.currency, "income": o.amount, "cost": o.cost,
                "profit": o.profit, "margin": reports.margin(o.amount, o.cost)}

    def chart_specs(self, tables):
        """Income, cost and profit month by month in the first currency (from the day rollup: the
        clients with the largest income would group every client's orders of the period)."""
        currency = self.result[0].currency if self.result else None
        if currency is None:
            return []
        months = reports.profit_by_month(self.months, currency)
        chart = Chart(_("Income and profit by month, %(currency)s") % {"currency": currency}, label="month",
                      values=["income", "cost", "profit"], table="months")
        table = Table("months", "", [Column("month", gettext_lazy("Month")), *MONEY_COLUMNS])
        monthly = BoundTable(self, table)
        monthly.rows = [{"month": month_label(month), "income": income, "cost": cost, "profit": income - cost,
                         "margin": reports.margin(income, cost)} for month, income, cost in months]
        return first_currency_chart(self, [monthly], chart, currency)
