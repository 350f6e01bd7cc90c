"""Complaint reports (SPEC §7) on the core report framework: processing time, complaints by type,
client, manager (the client's main manager) or product, and the decisions taken.

Every figure starts from ``Complaint.objects.restrict(user)``: a sales manager counts the
complaints of their own clients. Processing time = decided − received, in calendar days, for
complaints decided (or closed, or rejected) — their ``decided_at`` is set; on time = decided no
later than the deadline. The period filters the date received. Definitions: docs/complaints.md.
"""

import statistics
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.reports import Chart, Column, Period, PeriodForm, Report, Table
from core.reports import register as register_report

from .models import Complaint

GROUP = gettext_lazy("Service and quality")
DAY = 86400


def period(filters):
    return Period(filters["date_from"], filters["date_to"])


def _one_place(value):
    return Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


class ProcessingForm(PeriodForm):
    BY = [("month", gettext_lazy("Month")), ("type", gettext_lazy("Type")),
          ("responsible", gettext_lazy("Responsible"))]
    by = forms.ChoiceField(label=gettext_lazy("Group by"), choices=BY)
    defaults = {"by": "month"}


def _user_name(first, last, username):
    return f"{first or ''} {last or ''}".strip() or username or _("— nobody —")


def processing_rows(queryset, by):
    """[{group, received, decided, median_days, on_time}] of ``queryset`` grouped ``by``.

    One pass over the (few) columns of the period's complaints; the median is taken in Python
    since SQLite has no percentile aggregate."""
    fields = ["received_at", "decided_at", "deadline"]
    if by == "month":
        queryset = queryset.annotate(month=TruncMonth("received_at"))
        fields.append("month")
    elif by == "type":
        fields.append("type_id")
    else:
        fields += ["responsible_id", "responsible__first_name", "responsible__last_name", "responsible__username"]
    groups = defaultdict(lambda: {"received": 0, "times": [], "on_time": 0})
    labels = {}
    for row in queryset.order_by().values(*fields).iterator(chunk_size=5000):
        if by == "month":
            key = row["month"]
            labels[key] = date_format(timezone.localtime(key) if timezone.is_aware(key) else key, "F Y")
        elif by == "type":
            key = row["type_id"]
        else:
            key = row["responsible_id"] or 0
            labels[key] = _user_name(row["responsible__first_name"], row["responsible__last_name"],
                                     row["responsible__username"] if row["responsible_id"] else None)
        group = groups[key]
        group["received"] += 1
        if row["decided_at"] is not None:
            group["times"].append((row["decided_at"] - row["received_at"]).total_seconds() / DAY)
            if row["deadline"] is None or row["decided_at"] <= row["deadline"]:
                group["on_time"] += 1
    if by == "type":
        from .models import ComplaintType

        labels = {t.pk: t.name for t in ComplaintType.all_objects.filter(pk__in=list(groups))}
    rows = []
    for key in sorted(groups, key=lambda k: (k if by == "month" else str(labels.get(k, "")).lower())):
        group = groups[key]
        decided = len(group["times"])
        rows.append({
            "group": labels.get(key, ""), "received": group["received"], "decided": decided,
            "median_days": _one_place(statistics.median(group["times"])) if decided else None,
            "on_time": _one_place(100 * group["on_time"] / decided) if decided else None,
        })
    return rows


class ComplaintReport(Report):
    group, group_order = GROUP, 400
    form_class = PeriodForm

    def complaints(self, filters, user):
        return Complaint.objects.restrict(user).filter(period(filters).q("received_at"))


class ProcessingTimeReport(ComplaintReport):
    slug = "complaint-processing"
    title = gettext_lazy("Complaint processing time")
    description = gettext_lazy("Median processing time and the share decided on time, by month, type or "
                               "responsible.")
    definition = gettext_lazy(
        "Complaints received in the period. Decided: those with a decision (decided, closed or rejected). "
        "Processing time: from receipt to the decision, in calendar days (median). On time: decided no "
        "later than the deadline, in % of the decided.")
    form_class = ProcessingForm
    columns = [
        Column("group", gettext_lazy("Group")),
        Column("received", gettext_lazy("Received"), "int", total=True),
        Column("decided", gettext_lazy("Decided"), "int", total=True),
        Column("median_days", gettext_lazy("Median, days"), "decimal", empty="—"),
        Column("on_time", gettext_lazy("On time, %"), "percent", empty="—"),
    ]
    charts = [Chart(gettext_lazy("Median processing time, days"), label="group", values=["median_days"])]

    def rows(self, filters, user):
        return processing_rows(self.complaints(filters, user), filters["by"])


class ByForm(PeriodForm):
    BY = [("type", gettext_lazy("Type")), ("client", gettext_lazy("Client")),
          ("manager", gettext_lazy("Manager")), ("product", gettext_lazy("Product"))]
    by = forms.ChoiceField(label=gettext_lazy("Group by"), choices=BY)
    defaults = {"by": "type"}


# group key, and the fields naming it (read in the same grouped query, no second lookup)
BY_FIELDS = {
    "type": ("type_id", ()),
    "client": ("counterparty_id", ("counterparty__name",)),
    "manager": ("counterparty__main_manager_id", ("counterparty__main_manager__first_name",
                                                  "counterparty__main_manager__last_name",
                                                  "counterparty__main_manager__username")),
    "product": ("product_id", ("product__name",)),
}
CHART_ROWS = 20


class ComplaintsByReport(ComplaintReport):
    slug = "complaints-by"
    title = gettext_lazy("Complaints by type, client, manager, product")
    description = gettext_lazy("How many complaints, open, overdue and decided, per group.")
    definition = gettext_lazy(
        "Complaints received in the period, grouped by their type, client, the client's main manager or "
        "product. Open: new, in progress or decided and not closed. Overdue: open and past the deadline now.")
    form_class = ByForm
    columns = [
        Column("group", gettext_lazy("Group")),
        Column("count", gettext_lazy("Complaints"), "int", total=True),
        Column("open", gettext_lazy("Open"), "int", total=True),
        Column("overdue", gettext_lazy("Overdue"), "int", total=True),
        Column("closed", gettext_lazy("Closed or rejected"), "int", total=True),
    ]
    # Many clients: the page shows the biggest groups (the XLSX has all), the chart the top 20.
    tables = [Table("report", gettext_lazy("Complaints by type, client, manager, product"), columns,
                    html_limit=200)]
    charts = [Chart(gettext_lazy("Complaints"), label="group", values=["count"], horizontal=True,
                    where=lambda row: row.get("rank", 0) <= CHART_ROWS)]

    def rows(self, filters, user):
        by = filters["by"]
        key, names = BY_FIELDS[by]
        now = timezone.now()
        open_q = Q(state__in=Complaint.OPEN_STATES)
        data = list(self.complaints(filters, user).order_by().values(key, *names)
                    .annotate(count=Count("id"), open=Count("id", filter=open_q),
                              overdue=Count("id", filter=open_q & Q(deadline__lt=now)),
                              closed=Count("id", filter=Q(state__in=(Complaint.State.CLOSED,
                                                                     Complaint.State.REJECTED)))))
        if by == "type":
            from .models import ComplaintType

            types = {t.pk: t.name for t in ComplaintType.all_objects.filter(pk__in=[r[key] for r in data])}
        rows = []
        for row in data:
            if row[key] is None:
                label = _("— none —")
            elif by == "type":
                label = types.get(row[key], "")
            elif by == "manager":
                label = _user_name(*(row[n] for n in names))
            else:
                label = row[names[0]]
            rows.append({"group": label, "count": row["count"], "open": row["open"], "overdue": row["overdue"],
                         "closed": row["closed"]})
        rows.sort(key=lambda r: (-r["count"], str(r["group"]).lower()))
        for rank, row in enumerate(rows, start=1):
            row["rank"] = rank
        return rows


class DecisionsReport(ComplaintReport):
    slug = "complaint-decisions"
    title = gettext_lazy("Complaint decisions")
    description = gettext_lazy("The decisions taken on complaints, with processing time.")
    definition = gettext_lazy("Complaints decided (decided, closed or rejected) in the period, newest first.")
    tables = [Table("report", gettext_lazy("Decisions taken"), [
        Column("number", gettext_lazy("Number"), link=True),
        Column("client", gettext_lazy("Client")),
        Column("type", gettext_lazy("Type")),
        Column("decided_at", gettext_lazy("Decided"), "datetime"),
        Column("days", gettext_lazy("Days"), "decimal"),
        Column("on_time", gettext_lazy("On time")),
        Column("state", gettext_lazy("State")),
        Column("decision", gettext_lazy("Decision")),
    ], row="decision_row", paginate=True)]

    def rows(self, filters, user):
        return (Complaint.objects.restrict(user).filter(period(filters).q("decided_at"))
                .select_related("counterparty", "type").order_by("-decided_at", "-pk"))

    def decision_row(self, c):
        on_time = c.deadline is None or c.decided_at <= c.deadline
        return {"number": c.number, "number_url": c.get_absolute_url(), "client": str(c.counterparty),
                "type": str(c.type), "decided_at": c.decided_at,
                "days": _one_place((c.decided_at - c.received_at).total_seconds() / DAY),
                "on_time": _("yes") if on_time else _("no"), "state": c.get_state_display(),
                "decision": c.decision}


def register():
    for order, report in enumerate((ProcessingTimeReport, ComplaintsByReport, DecisionsReport)):
        register_report(report, order=200 + order * 10)
