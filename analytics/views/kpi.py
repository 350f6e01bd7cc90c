"""Manager performance and the head's report, declared on the core report framework.

Figures: ``analytics.services.kpi`` (definitions in docs/analytics-kpi.md). A sales manager sees
only their own line (no company totals, no other manager); heads see everyone.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from core.reports import BoundedDateField, Chart, Column, Note, Report, ReportForm, register

from ..models import Indicator
from ..services import kpi, plans

GROUP = gettext_lazy("Analytics")


class KpiForm(ReportForm):
    """A period defaulting to the last full month (indicators of a finished month), not PeriodForm's
    twelve months."""

    date_from = BoundedDateField(label=gettext_lazy("From"))
    date_to = BoundedDateField(label=gettext_lazy("To"))

    def get_defaults(self):
        period = kpi.last_full_month()
        return {**super().get_defaults(), "date_from": period.date_from.isoformat(),
                "date_to": period.date_to.isoformat()}


def indicator_kind(code):
    if code in kpi.MONEY:
        return "money"
    return "percent" if code in kpi.RATIOS else "int"


def _label(code):
    return Indicator(code).label


class KpiReport(Report):
    group, form_class = GROUP, KpiForm

    def compute(self, filters, user):
        return kpi.rank(kpi.Period(filters["date_from"], filters["date_to"]))

    def visible(self):
        return self.result.visible_rows(self.user)

    def notes(self, filters):
        data, notes = self.result, []
        start, end = data.start_run, data.end_run
        if end is None:
            notes.append(Note(_("No finished analysis run up to the end of the period: stage changes and "
                                "retention are empty."), testid="no-run", alert=True))
        else:
            notes.append(Note(_("Stages compared: the run of %(start)s and the run of %(end)s.") % {
                "start": start.analysis_date if start else _("none (every client counts as potential)"),
                "end": end.analysis_date}, testid="runs"))
        if data.left_out:
            notes.append(Note(_("%(count)s shipment lines in other currencies than %(currency)s are left out.")
                              % {"count": data.left_out, "currency": data.currency}, testid="left-out"))
        return notes


PERFORMANCE_COLUMNS = [Column("manager", gettext_lazy("Manager")), Column("clients", gettext_lazy("Clients"), "int")]
for _code in Indicator.values:
    PERFORMANCE_COLUMNS.append(Column(_code, Indicator(_code).label, indicator_kind(_code), currency_key="currency"))
    PERFORMANCE_COLUMNS.append(Column(
        f"{_code}_share",
        gettext_lazy("company, %") if _code in kpi.RATIOS else gettext_lazy("% of company"), "percent"))


@register
class ManagerPerformanceReport(KpiReport):
    slug = "manager-performance"
    group_order = 210
    title = gettext_lazy("Manager performance")
    description = gettext_lazy("Per main manager: contact data completeness, contacts, stage changes, retention, "
                               "orders, revenue, profit, payments; absolute and % of the company.")
    definition = gettext_lazy(
        "Clients of a manager: live counterparties whose main manager they are now. Completeness: % of them "
        "with a phone, an email and a contact person. Contacts: done interactions the manager is responsible "
        "for, started in the period. Stage ups / downs: their clients' stage in the last run up to the end of "
        "the period against the last run up to its start (missing: potential). Retention: lost ÷ all of their "
        "clients in the end run. Orders: completed orders dated in the period. Revenue and profit: actual "
        "shipments dated in the period at the line price (profit: less the unit cost), orders not drafts, not "
        "fell through, in the analysis currency. Payments: actual payments dated in the period. The company "
        "figure is the sum over the managers listed (for completeness and retention: the company's ratio).")
    columns = PERFORMANCE_COLUMNS
    charts = [Chart(gettext_lazy("Share of the company, %"), label="manager",
                    values=["revenue_share", "contacts_share", "orders_share"], suffix="%",
                    where=lambda row: row.get("_level") != "total")]

    def rows(self, filters, user):
        data = self.result
        rows = []
        for row in self.visible():
            line = {"manager": row.name, "clients": row.clients, "currency": data.currency}
            for code in Indicator.values:
                line[code] = row.values[code]
                line[f"{code}_share"] = row.shares[code]
            rows.append(line)
        if kpi.can_see_everyone(user) and data.rows:
            total = {"_level": "total", "manager": _("Company"), "clients": sum(r.clients for r in data.rows),
                     "currency": data.currency}
            for code in Indicator.values:
                total[code] = data.company[code]
                total[f"{code}_share"] = data.company[code] if code in kpi.RATIOS else (
                    100 if data.company[code] else None)
            rows.append(total)
        return rows


def _month_label(period):
    months = period.months()
    return f"{months[0].strftime('%m.%Y')}–{months[-1].strftime('%m.%Y')}" if len(months) > 1 \
        else months[0].strftime("%m.%Y")


HEAD_COLUMNS = [
    Column("place", gettext_lazy("Place"), "int"),
    Column("change", gettext_lazy("Change")),
    Column("manager", gettext_lazy("Manager")),
    Column("score", gettext_lazy("Score"), "decimal"),
    *[Column(f"n_{code}", Indicator(code).label, "percent") for code in Indicator.values],
    Column("plan_revenue", gettext_lazy("Revenue plan"), "money", currency_key="currency"),
    Column("actual_revenue", gettext_lazy("Revenue actual"), "money", currency_key="currency"),
    Column("done_revenue", gettext_lazy("Revenue, % of plan"), "percent"),
    Column("plan_new_clients", gettext_lazy("New clients plan"), "int"),
    Column("actual_new_clients", gettext_lazy("New clients actual"), "int"),
    Column("done_new_clients", gettext_lazy("New clients, % of plan"), "percent"),
    Column("plan_contacts", gettext_lazy("Contacts plan"), "int"),
    Column("actual_contacts", gettext_lazy("Contacts actual"), "int"),
    Column("done_contacts", gettext_lazy("Contacts, % of plan"), "percent"),
]


@register
class HeadReport(KpiReport):
    slug = "head-report"
    group_order = 220
    title = gettext_lazy("Head's report (manager ranking)")
    description = gettext_lazy("Managers ranked by the weighted score, change of place, plan vs actual.")
    definition = gettext_lazy(
        "Each indicator normalised: % of the company total for contacts, stage ups and downs, orders, revenue, "
        "profit and payments; the value itself (in %) for completeness and retention. Score = Σ weight × "
        "normalised value ÷ Σ |weight| over the indicators with a weight (set by an administrator; a negative "
        "weight penalises). Places by score, ties by name; the change is against the previous period of the "
        "same length. Plan vs actual over the whole months of the period.")
    columns = HEAD_COLUMNS
    charts = [Chart(gettext_lazy("Score by manager"), label="manager", values=["score"], horizontal=True)]

    def rows(self, filters, user):
        data = self.result
        months = data.period.months()
        visible = self.visible()
        facts = plans.plan_vs_actual(months, data.currency, manager_ids=[r.manager.pk for r in visible])
        rows = []
        for row in visible:
            change = row.change_text
            line = {"place": row.place, "change": pgettext("analysis", "new") if change == "new" else change,
                    "manager": row.name,
                    "score": row.score, "currency": data.currency}
            for code in Indicator.values:
                line[f"n_{code}"] = row.normalised[code]
            fact = facts.get(row.manager.pk, plans.PlanFact())
            for metric in plans.METRICS:
                line[f"plan_{metric}"] = fact.plan[metric] if fact.planned else None
                line[f"actual_{metric}"] = fact.actual[metric]
                line[f"done_{metric}"] = fact.done(metric)
            rows.append(line)
        return rows

    def notes(self, filters):
        data = self.result
        weights = ", ".join(f"{_label(code)}: {weight}" for code, weight in data.weights.items()) or _("none")
        previous = data.previous.period if data.previous else None
        notes = [Note(_("Weights: %(weights)s.") % {"weights": weights}, testid="weights")]
        if previous:
            notes.append(Note(_("Previous period: %(from)s – %(to)s; plans of %(months)s.") % {
                "from": previous.date_from, "to": previous.date_to, "months": _month_label(data.period)},
                testid="previous"))
        return notes + super().notes(filters)
