"""Analytics reports (ABC analysis, XYZ / stages, purchase dynamics of a client), declared on the core
report framework: page, chart, XLSX and PDF come from core.reports. Every figure is read from
``ClientAnalysis.objects.restrict(user)`` (a manager sees their clients' rows, and totals over them)
with GROUP BY aggregates; only the client table's page is materialised. Definitions:
docs/analytics-reports.md.
"""

import datetime
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from clients.forms import CounterpartyField
from clients.models import Counterparty
from core.reports import (
    Chart,
    Column,
    ModelChoiceField,
    Note,
    PeriodForm,
    Report,
    ReportForm,
    Table,
    register,
)
from sales.models import Shipment
from sales.services.sold import COST, SALE, sale_shipments

from ..models import ABC, ABC_RANK, XYZ, AnalysisRun, AnalysisSettings, ClientAnalysis, Measure, Stage

GROUP = gettext_lazy("Analytics")
PARETO_TOP = 50  # clients drawn one by one on the Pareto chart; the rest are one "Others" bar
NONE = "none"  # the item key of "no class"
DASH = "—"
CENT = Decimal("0.01")


def _users():
    return get_user_model().objects.filter(is_active=True)


def _runs():
    return AnalysisRun.objects.filter(status=AnalysisRun.Status.DONE).order_by("-finished_at", "-id")


def pct(part, whole):
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


def abc_items(report=None):
    return [(c, c, None) for c in ABC.values] + [(NONE, _("No class"), None)]


def arrow(current, previous, rank):
    """↑ ↓ = against the previous run's effective value; "new" when the client was not in it."""
    if previous is None:
        return pgettext("analysis", "new")
    now, before = rank.get(current or "", 0), rank.get(previous or "", 0)
    return "↑" if now > before else "↓" if now < before else "="


def move(current, previous, labels=None):
    """"B → A" when the value changed since the previous run, else the value."""
    def text(value):
        return str((labels or {}).get(value, value)) if value else DASH

    if previous is None or previous == current:
        return text(current)
    return f"{text(previous)} → {text(current)}"


# --- Filters -----------------------------------------------------------------------------------

class RunChoiceField(ModelChoiceField):
    def label_from_instance(self, run):
        return f"{date_format(run.analysis_date, 'SHORT_DATE_FORMAT')} · #{run.pk}"


class RunForm(ReportForm):
    run = RunChoiceField(label=gettext_lazy("Analysis run"), queryset=_runs(), required=False,
                         empty_label=None)
    main_manager = ModelChoiceField(label=gettext_lazy("Main manager"), queryset=_users(), required=False,
                                    empty_label=gettext_lazy("All managers"))

    def get_defaults(self):
        run = AnalysisRun.current()
        return {**super().get_defaults(), **({"run": str(run.pk)} if run else {})}


class AbcForm(RunForm):
    abc = forms.ChoiceField(label=gettext_lazy("ABC class"), required=False,
                            choices=[("", gettext_lazy("All classes")), *ABC.choices,
                                     (NONE, gettext_lazy("No class"))])


def analysis_rows(user, filters):
    """The run's rows the user may see, narrowed by the filters."""
    run = filters.get("run")
    if run is None:
        return ClientAnalysis.objects.none()
    qs = ClientAnalysis.objects.restrict(user).filter(run=run)
    if filters.get("main_manager"):
        qs = qs.filter(main_manager=filters["main_manager"])
    if filters.get("abc"):
        qs = qs.filter(abc_effective="" if filters["abc"] == NONE else filters["abc"])
    return qs


class RunReport(Report):
    group, group_order = GROUP, 200
    form_class = RunForm

    @property
    def run(self):
        return self.filters.get("run")

    @property
    def currency(self):
        return self.run.currency if self.run else AnalysisSettings.load().analysis_currency

    def base(self):
        return analysis_rows(self.user, self.filters)

    def notes(self, filters):
        if self.run is None:
            return [Note(_("No analysis has been run yet."), testid="no-run", alert=True)]
        return []


# --- 1. ABC analysis ---------------------------------------------------------------------------

@register
class AbcReport(RunReport):
    slug = "abc"
    group_order = 200
    title = gettext_lazy("ABC analysis")
    description = gettext_lazy("Clients by their share of the measure: classes, shares, Pareto chart.")
    definition = gettext_lazy(
        "Clients with a measure above zero in the run's period, sorted by it descending (ties: the older "
        "client first). A client is A while the running share before them is under the A threshold, B "
        "under the B threshold, otherwise C; clients without sales have no class. Share and cumulative "
        "share are of the whole company's total; the class summary adds up the clients you see, by their "
        "effective class (a head's override wins). The arrow compares with the previous run.")
    form_class = AbcForm
    tables = [
        Table("report", gettext_lazy("Classes"), [
            Column("abc", gettext_lazy("Class")),
            Column("clients", gettext_lazy("Clients"), "int"),
            Column("measure", gettext_lazy("Measure"), "money", currency_key="measure_currency"),
            Column("share", gettext_lazy("Share of the total, %"), "percent"),
            Column("revenue", gettext_lazy("Revenue"), "money", currency_key="currency"),
            Column("profit", gettext_lazy("Profit"), "money", currency_key="currency"),
        ], rows="summary_rows", totals="summary_totals"),
        Table("clients", gettext_lazy("Clients"), [
            Column("rank", gettext_lazy("Place"), "int"),
            Column("client", gettext_lazy("Client"), link=True),
            Column("manager", gettext_lazy("Main manager")),
            Column("revenue", gettext_lazy("Revenue"), "money", currency_key="currency"),
            Column("profit", gettext_lazy("Profit"), "money", currency_key="currency"),
            Column("measure", gettext_lazy("Measure"), "money", currency_key="measure_currency"),
            Column("share", gettext_lazy("Share, %"), "percent"),
            Column("cumulative", gettext_lazy("Cumulative share, %"), "percent"),
            Column("computed", gettext_lazy("Computed class")),
            Column("effective", gettext_lazy("Class")),
            Column("arrow", gettext_lazy("Against the previous run")),
        ], rows="client_rows", row="client_row", totals="client_totals", paginate=True, count="client_count"),
    ]

    @property
    def measure_currency(self):
        return None if self.run and self.run.measure == Measure.MARGIN else self.currency

    def compute(self, filters, user):
        by_class = {row["abc_effective"]: row for row in self.base().values("abc_effective").order_by().annotate(
            clients=Count("pk"), measure_sum=Sum("measure"), revenue_sum=Sum("revenue"),
            profit_sum=Sum("profit"), ranked=Sum("measure", filter=Q(rank__isnull=False)))}
        total = sum((r["measure_sum"] or 0 for r in by_class.values()), Decimal(0))
        ranked = sum((r["ranked"] or 0 for r in by_class.values()), Decimal(0))
        return {"by_class": by_class, "total": total, "ranked": ranked}

    def _money(self):
        return {"currency": self.currency, "measure_currency": self.measure_currency}

    def summary_rows(self, filters, user):
        rows = []
        for key, label, _currency in abc_items():
            data = self.result["by_class"].get("" if key == NONE else key, {})
            rows.append({"abc": label, "clients": data.get("clients", 0), "measure": data.get("measure_sum") or 0,
                         "share": pct(data.get("measure_sum"), self.result["total"]) or 0,
                         "revenue": data.get("revenue_sum") or 0, "profit": data.get("profit_sum") or 0,
                         **self._money()})
        return rows

    def summary_totals(self, filters, user):
        rows = self.result["by_class"].values()
        return [{"_level": "total", "abc": _("Total"), "clients": sum(r["clients"] for r in rows),
                 "measure": self.result["total"], "share": 100 if self.result["total"] else None,
                 "revenue": sum((r["revenue_sum"] or 0 for r in rows), Decimal(0)),
                 "profit": sum((r["profit_sum"] or 0 for r in rows), Decimal(0)), **self._money()}]

    def client_rows(self, filters, user):
        return self.base().select_related("counterparty", "main_manager").order_by(
            F("rank").asc(nulls_last=True), "counterparty_id")

    def client_row(self, obj):
        overridden = obj.abc_effective != obj.abc
        effective = obj.abc_effective or DASH
        cumulative = obj.share_before + obj.share if obj.share is not None and obj.share_before is not None \
            else None
        return {"rank": obj.rank, "client": obj.counterparty.name, "client_url": obj.counterparty.get_absolute_url(),
                "manager": str(obj.main_manager) if obj.main_manager else "", "revenue": obj.revenue,
                "profit": obj.profit, "measure": obj.measure, "share": obj.share, "cumulative": cumulative,
                "computed": obj.abc or DASH,
                "effective": f"{effective} ({_('override')})" if overridden else effective,
                "arrow": arrow(obj.abc_effective, obj.abc_prev, ABC_RANK), **self._money()}

    def client_count(self):
        return sum(r["clients"] for r in self.result["by_class"].values())

    def client_totals(self, filters, user):
        rows = self.result["by_class"].values()
        if not rows:
            return []
        return [{"_level": "total", "client": _("Total"), "measure": self.result["total"],
                 "revenue": sum((r["revenue_sum"] or 0 for r in rows), Decimal(0)),
                 "profit": sum((r["profit_sum"] or 0 for r in rows), Decimal(0)), **self._money()}]

    def thresholds(self):
        params = (self.run.params or {}) if self.run else {}
        return (Decimal(str(params.get("a_threshold", 80))), Decimal(str(params.get("b_threshold", 95))))

    def chart_specs(self, tables):
        """Pareto: the measure of the first clients by place (bars), the cumulative share of the clients
        shown (line, right axis) and the A / B thresholds."""
        ranked = self.result["ranked"]
        if not ranked or ranked <= 0:
            return []
        top = list(self.base().filter(rank__isnull=False).order_by("rank", "counterparty_id")
                   .values_list("counterparty__name", "measure")[:PARETO_TOP])
        labels = [name if len(name) <= 30 else name[:29] + "…" for name, _m in top]
        values = [m for _n, m in top]
        rest = ranked - sum(values, Decimal(0))
        if rest > 0:
            labels.append(str(_("Others")))
            values.append(rest)
        cumulative, running = [], Decimal(0)
        for value in values:
            running += value
            cumulative.append(float(min(pct(running, ranked), Decimal(100))))
        a, b = self.thresholds()
        line = {"type": "line", "yAxisID": "y2", "pointRadius": 0, "borderWidth": 1, "borderDash": [6, 4]}
        spec = {"type": "bar", "labels": labels, "y2": {"max": 100, "suffix": " %"}, "datasets": [
            {"label": str(_("Measure")), "data": [float(v) for v in values], "order": 2},
            {"type": "line", "yAxisID": "y2", "label": str(_("Cumulative share, %")), "data": cumulative,
             "order": 1, "pointRadius": 2},
            {**line, "label": _("Class A threshold, %s %%") % a, "data": [float(a)] * len(values), "order": 0},
            {**line, "label": _("Class B threshold, %s %%") % b, "data": [float(b)] * len(values), "order": 0},
        ]}
        if self.measure_currency:
            spec["money"] = self.measure_currency
        return [{"id": "abc-pareto", "label": str(_("Pareto chart")), "spec": spec}]


# --- 2. XYZ and stages -------------------------------------------------------------------------

STAGES = dict(Stage.choices)


def stage_items(report=None):
    return [(s, label, None) for s, label in Stage.choices]


@register
class XyzStagesReport(RunReport):
    slug = "xyz-stages"
    group_order = 210
    title = gettext_lazy("XYZ and relationship stages")
    description = gettext_lazy("ABC × stage and ABC × XYZ matrices, and who moved where since the previous run.")
    definition = gettext_lazy(
        "The run's clients you see by their effective classes (a head's override wins): the number of "
        "clients and their revenue in each cell. Transitions: clients whose ABC class, stage or XYZ class "
        "differs from the previous run's; clients new in this run are counted as \"new\".")
    tables = [
        Table("report", gettext_lazy("ABC × relationship stage"), [
            Column("stage", pgettext_lazy("relationship", "Stage")),
            Column("count", "", "int", total=True, each=lambda r: [(k, _("Clients, %s") % label, None)
                                                                    for k, label, _c in abc_items()]),
            Column("clients", gettext_lazy("Clients"), "int", total=True),
            Column("revenue", "", "money", total=True, currency_key="currency",
                   each=lambda r: [(k, _("Revenue, %s") % label, None) for k, label, _c in abc_items()]),
        ], rows="stage_rows"),
        Table("abc-xyz", gettext_lazy("ABC × XYZ"), [
            Column("xyz", gettext_lazy("XYZ class")),
            Column("count", "", "int", total=True, each=lambda r: [(k, _("Clients, %s") % label, None)
                                                                    for k, label, _c in abc_items()]),
            Column("clients", gettext_lazy("Clients"), "int", total=True),
            Column("revenue", "", "money", total=True, currency_key="currency",
                   each=lambda r: [(k, _("Revenue, %s") % label, None) for k, label, _c in abc_items()]),
        ], rows="xyz_rows"),
        Table("stage-moves", gettext_lazy("Stage moves since the previous run"), [
            Column("previous", gettext_lazy("Previous stage")),
            Column("count", "", "int", total=True, each=stage_items),
            Column("clients", gettext_lazy("Clients"), "int", total=True),
        ], rows="move_rows"),
        Table("transitions", gettext_lazy("Transitions since the previous run"), [
            Column("client", gettext_lazy("Client"), link=True),
            Column("manager", gettext_lazy("Main manager")),
            Column("abc", gettext_lazy("ABC class")),
            Column("stage", pgettext_lazy("relationship", "Stage")),
            Column("xyz", gettext_lazy("XYZ class")),
        ], rows="transition_rows", row="transition_row", paginate=True,
              count="transition_count",
            empty=gettext_lazy("No client moved since the previous run.")),
    ]

    charts = [Chart(gettext_lazy("Clients per stage by ABC class"), label="stage", values=["count"], stacked=True)]

    def compute(self, filters, user):
        # One pass over the run (an index-only GROUP BY, see ClientAnalysis.Meta): a few hundred
        # groups at most, from which every matrix and the count of transitions are summed.
        return list(self.base().order_by().values("stage_effective", "abc_effective", "xyz_effective", "stage_prev",
                                                  "abc_prev", "xyz_prev")
                    .annotate(n=Count("pk"), rev=Sum("revenue")))

    def _matrix(self, cells, key, values):
        rows = {}
        for value, label in values:
            rows[value] = {key: str(label), "count": {}, "revenue": {}, "clients": 0, "currency": self.currency}
        for cell in cells:
            row = rows.get(cell[f"{key}_effective"] or "")
            if row is None:
                continue
            item = cell["abc_effective"] or NONE
            row["count"][item] = row["count"].get(item, 0) + cell["n"]
            row["revenue"][item] = row["revenue"].get(item, Decimal(0)) + (cell["rev"] or 0)
            row["clients"] += cell["n"]
        return list(rows.values())

    def stage_rows(self, filters, user):
        return self._matrix(self.result, "stage", Stage.choices)

    def xyz_rows(self, filters, user):
        return self._matrix(self.result, "xyz", [*XYZ.choices, ("", _("No class"))])

    def move_rows(self, filters, user):
        rows = {value: {"previous": str(label), "count": {}, "clients": 0}
                for value, label in [*Stage.choices, (None, pgettext("analysis", "new"))]}
        for cell in self.result:
            row = rows.get(cell["stage_prev"])
            if row is None:
                continue
            row["count"][cell["stage_effective"]] = row["count"].get(cell["stage_effective"], 0) + cell["n"]
            row["clients"] += cell["n"]
        return [r for r in rows.values() if r["clients"]] if self.run else []

    def transition_count(self):
        """What transition_rows() counts, from the groups (no COUNT over the run)."""
        return sum(cell["n"] for cell in self.result if cell["stage_prev"] is not None and (
            cell["abc_effective"] != cell["abc_prev"] or cell["stage_effective"] != cell["stage_prev"]
            or cell["xyz_effective"] != cell["xyz_prev"]))

    def transition_rows(self, filters, user):
        changed = (~Q(abc_effective=F("abc_prev")) | ~Q(stage_effective=F("stage_prev"))
                   | ~Q(xyz_effective=F("xyz_prev")))
        return self.base().filter(changed, stage_prev__isnull=False).select_related(
            "counterparty", "main_manager").order_by(F("rank").asc(nulls_last=True), "counterparty_id")

    def transition_row(self, obj):
        return {"client": obj.counterparty.name, "client_url": obj.counterparty.get_absolute_url(),
                "manager": str(obj.main_manager) if obj.main_manager else "",
                "abc": move(obj.abc_effective, obj.abc_prev), "stage": move(obj.stage_effective, obj.stage_prev,
                                                                             STAGES),
                "xyz": move(obj.xyz_effective, obj.xyz_prev)}


# --- 3. Purchase dynamics of a client ----------------------------------------------------------

class DynamicsForm(PeriodForm):
    client = CounterpartyField(label=gettext_lazy("Client"), queryset=Counterparty.objects.none(), required=False)

    def __init__(self, data, user=None):
        super().__init__(data, user=user)
        # Only a client the viewer may see can be chosen: another id is "not one of the choices".
        self.fields["client"].queryset = Counterparty.objects.restrict(user) if user else Counterparty.objects.none()


def month_starts(period):
    month, months = period.date_from.replace(day=1), []
    while month <= period.date_to:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def sales_of(user, client, currency):
    """The client's sales (SPEC §5): actual shipments of live orders that are neither drafts nor fell
    through; the currency is filtered by the caller."""
    return sale_shipments(Shipment.objects.restrict(user)).filter(order__counterparty=client)




@register
class PurchaseDynamicsReport(Report):
    slug = "purchase-dynamics"
    group, group_order = GROUP, 220
    title = gettext_lazy("Purchase dynamics of a client")
    description = gettext_lazy("A client's sales and purchases by month, and their classes across the runs.")
    definition = gettext_lazy(
        "Sales: actual shipments (not in the trash) of orders that are not in the trash, not drafts and "
        "did not fall through, valued at quantity × line price in the analysis currency; profit: the sale "
        "minus quantity × the line's unit cost. A purchase is an order with such a shipment, counted in the "
        "month of its first one.")
    form_class = DynamicsForm
    tables = [
        Table("report", gettext_lazy("Sales by month"), [
            Column("month", gettext_lazy("Month")),
            Column("revenue", gettext_lazy("Revenue"), "money", currency_key="currency", total=True),
            Column("profit", gettext_lazy("Profit"), "money", currency_key="currency", total=True),
            Column("purchases", gettext_lazy("Purchases"), "int", total=True),
        ], rows="month_rows"),
        Table("classes", gettext_lazy("Classes across the runs"), [
            Column("date", gettext_lazy("Analysis date"), "date"),
            Column("abc", gettext_lazy("ABC class")),
            Column("stage", pgettext_lazy("relationship", "Stage")),
            Column("xyz", gettext_lazy("XYZ class")),
            Column("revenue", gettext_lazy("Revenue in the run's period"), "money", currency_key="currency"),
        ], rows="class_rows", row="class_row"),
    ]

    def compute(self, filters, user):
        currency = AnalysisSettings.load().analysis_currency
        period = self.form.period
        months = month_starts(period)
        result = {"currency": currency, "months": months, "sales": {}, "purchases": {}, "skipped": 0}
        client = filters.get("client")
        if client is None:
            return result
        sales = sales_of(user, client, currency)
        ours = sales.filter(order__currency=currency)
        in_period = ours.filter(date__gte=period.date_from, date__lte=period.date_to)
        result["sales"] = {row["month"]: row for row in in_period.annotate(month=TruncMonth("date")).values("month")
                           .order_by().annotate(
            revenue=Sum(SALE), cost=Sum(COST))}
        firsts = ours.values("order").order_by().annotate(first=Min("date")).filter(
            first__gte=period.date_from, first__lte=period.date_to).values_list("first", flat=True)
        for first in firsts:
            month = first.replace(day=1)
            result["purchases"][month] = result["purchases"].get(month, 0) + 1
        result["skipped"] = sales.exclude(order__currency=currency).filter(
            date__gte=period.date_from, date__lte=period.date_to).count()
        return result

    def month_rows(self, filters, user):
        data, rows = self.result, []
        for month in data["months"]:
            sale = data["sales"].get(month) or data["sales"].get(_as_datetime(month)) or {}
            revenue = Decimal(sale.get("revenue") or 0).quantize(CENT)
            cost = Decimal(sale.get("cost") or 0).quantize(CENT)
            rows.append({"month": date_format(month, "YEAR_MONTH_FORMAT"), "revenue": revenue,
                         "profit": revenue - cost, "purchases": data["purchases"].get(month, 0),
                         "currency": data["currency"]})
        return rows

    def class_rows(self, filters, user):
        if filters.get("client") is None:
            return ClientAnalysis.objects.none()
        return ClientAnalysis.objects.restrict(user).filter(
            counterparty=filters["client"], run__status=AnalysisRun.Status.DONE).select_related("run").order_by(
            "-run__analysis_date", "-run_id")

    def class_row(self, obj):
        return {"date": obj.run.analysis_date, "abc": move(obj.abc_effective, obj.abc_prev),
                "stage": move(obj.stage_effective, obj.stage_prev, STAGES), "xyz": move(obj.xyz_effective,
                                                                                         obj.xyz_prev),
                "revenue": obj.revenue, "currency": obj.run.currency}

    def notes(self, filters):
        notes = []
        if filters.get("client") is None:
            notes.append(Note(_("Choose a client to see their purchases."), testid="choose-client", alert=True))
        if self.result["skipped"]:
            notes.append(Note(_("%(count)s shipments in other currencies than %(currency)s are left out.")
                              % {"count": self.result["skipped"], "currency": self.result["currency"]},
                              testid="currency-note"))
        return notes

    def chart_specs(self, tables):
        table = next(t for t in tables if t.key == "report")
        rows = [r for r in table.rows if r.get("_level") != "total"]
        if not any(r["revenue"] or r["profit"] or r["purchases"] for r in rows):
            return []
        spec = {"type": "bar", "labels": [r["month"] for r in rows], "money": self.result["currency"],
                "y2": {"suffix": ""}, "datasets": [
                    {"label": str(_("Revenue")), "data": [float(r["revenue"]) for r in rows], "order": 2},
                    {"label": str(_("Profit")), "data": [float(r["profit"]) for r in rows], "order": 2},
                    {"type": "line", "yAxisID": "y2", "label": str(_("Purchases")),
                     "data": [r["purchases"] for r in rows], "order": 1},
                ]}
        return [{"id": "purchase-dynamics-chart", "label": str(_("Sales and purchases by month")), "spec": spec}]


def _as_datetime(month):
    # TruncMonth of a DateField is a date; some backends hand back a datetime at midnight.
    return datetime.datetime.combine(month, datetime.time.min)
