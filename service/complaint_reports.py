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
from django.db import connection, connections
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DateTimeField,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.dashboard import local_midnight, month_start
from core.reports import Chart, Column, Period, PeriodForm, Report, Table
from core.reports import register as register_report

from .models import Complaint
from .models.complaints import open_complaint

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


class DaysBetween(Func):
    """``end - start`` in days, as a float computed by the database (no per-row Python datetimes)."""

    output_field = FloatField()

    def __init__(self, end, start):
        super().__init__(end, start)

    def as_sql(self, compiler, connection, **extra):  # PostgreSQL (and others with interval arithmetic)
        end, start = (compiler.compile(e) for e in self.get_source_expressions())
        # date_part is double precision; EXTRACT gives numeric (slow arithmetic, and cast back for sorting).
        return f"(date_part('epoch', {end[0]} - {start[0]}) / 86400.0)", [*end[1], *start[1]]

    def as_sqlite(self, compiler, connection, **extra):
        end, start = (compiler.compile(e) for e in self.get_source_expressions())
        return f"(julianday({end[0]}) - julianday({start[0]}))", [*end[1], *start[1]]


def month_buckets(period):
    """[(first local day of the month, start, end)] covering the period, as aware datetimes."""
    return [(day, local_midnight(day), local_midnight(month_start(day, 1))) for day in period.months()]


def bucket_of(field, starts):
    """The index of the last of the ascending ``starts`` that ``field`` is at or after, as nested
    CASEs that halve the range (4 comparisons a row for 12 months instead of up to 24): the period
    filter keeps the value within the buckets."""
    def pick(low, high):  # among starts[low:high]
        if high - low == 1:
            return Value(low)
        middle = (low + high) // 2
        return Case(When(**{f"{field}__lt": starts[middle]}, then=pick(low, middle)), default=pick(middle, high),
                    output_field=IntegerField())
    return pick(0, len(starts))


def processing_rows(queryset, by, period):
    """[{group, received, decided, median_days, on_time}] of ``queryset`` grouped ``by``.

    The database gives each complaint's group, its processing days (decided ones) and whether it
    was on time; PostgreSQL groups them and takes the medians itself, on SQLite Python does it in
    one pass. Months are buckets of local months compared on ``received_at`` (index-friendly, time-zone
    correct); the covering index ``complaint_report`` holds every column read."""
    labels = {}
    if by == "month":
        buckets = month_buckets(period)
        key = bucket_of("received_at", [start for _day, start, _end in buckets])
        labels = {i: date_format(day, "F Y") for i, (day, _start, _end) in enumerate(buckets)}
    else:
        key = F("type_id" if by == "type" else "responsible_id")
    decided_q = Q(decided_at__isnull=False)
    on_time_q = decided_q & (Q(deadline__isnull=True) | Q(decided_at__lte=F("deadline")))
    facts = (queryset.order_by()
             .annotate(group_key=key,
                       days=Case(When(decided_q, then=DaysBetween(F("decided_at"), F("received_at"))),
                                 default=None, output_field=FloatField()),
                       in_time=Case(When(on_time_q, then=Value(1)), default=Value(0), output_field=IntegerField()))
             .values_list("group_key", "days", "in_time"))
    counts, medians = (grouped_in_postgres if connection.vendor == "postgresql" else grouped_in_python)(facts)
    if by == "type":
        from .models import ComplaintType

        labels = {t.pk: t.name for t in ComplaintType.all_objects.filter(pk__in=list(counts))}
    elif by == "responsible":
        from django.contrib.auth import get_user_model

        labels = {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=[k for k in counts if k is not None])}
        labels[None] = _("— nobody —")
    rows = []
    for group in sorted(counts, key=lambda k: (k if by == "month" else str(labels.get(k, "")).lower())):
        received, decided, on_time = counts[group]
        median = medians.get(group)
        rows.append({
            "group": labels.get(group, ""), "received": received, "decided": decided,
            "median_days": _one_place(round(median, 6)) if median is not None else None,
            "on_time": _one_place(100 * on_time / decided) if decided else None,
        })
    return rows


class Median(Aggregate):
    """PostgreSQL's exact median (the mean of the two middle values, as ``statistics.median``)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def grouped_in_postgres(facts):
    """({group: [received, decided, on time]}, {group: median days}): grouped by the database."""
    rows = (facts.values("group_key").annotate(received=Count("*"), decided=Count("days"), on_time=Sum("in_time"),
                                               median=Median("days"))
            .values_list("group_key", "received", "decided", "on_time", "median"))
    counts, medians = {}, {}
    for group, received, decided, on_time, median in rows:
        counts[group] = [received, decided, on_time or 0]
        medians[group] = None if median is None else float(median)
    return counts, medians


def grouped_in_python(facts):
    """The same from one row per complaint read through a plain cursor (SQLite has no percentile
    aggregate; the ORM's per-value converters would cost more than the query, and window functions
    numbering every row by time cost more than this loop)."""
    counts = defaultdict(lambda: [0, 0, 0])  # received, decided, on time
    times = defaultdict(list)
    sql, params = facts.query.sql_with_params()
    with connections[facts.db].cursor() as cursor:  # the report's database: maybe the replica
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(10000):
            for group, days, in_time in chunk:
                row = counts[group]
                row[0] += 1
                if days is not None:
                    row[1] += 1
                    row[2] += in_time
                    times[group].append(days)
    return counts, {group: statistics.median(values) for group, values in times.items()}


class ComplaintReport(Report):
    group, group_order = GROUP, 400
    form_class = PeriodForm
    sort_memory = "32MB"  # processing and "by …" group every complaint of the period

    def complaints(self, filters, user):
        return Complaint.objects.restrict(user).filter(period(filters).q("received_at"))

    def complaints_by_client(self, filters, user):
        """The same, for grouping by client. On SQLite the period is compared on ``+received_at`` (a
        no-op that no index serves), so SQLite reads ``complaint_cp_received`` in client order and
        groups as it goes, where the period's index needs a temporary B-tree of every client
        (100 000 complaints: 130 → 60 ms)."""
        if connection.vendor != "sqlite":
            return self.complaints(filters, user)
        received = Func(F("received_at"), template="+%(expressions)s", output_field=DateTimeField())
        return Complaint.objects.restrict(user).alias(received=received).filter(period(filters).q("received"))


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
        return processing_rows(self.complaints(filters, user), filters["by"], period(filters))


class ByForm(PeriodForm):
    BY = [("type", gettext_lazy("Type")), ("client", gettext_lazy("Client")),
          ("manager", gettext_lazy("Manager")), ("product", gettext_lazy("Product"))]
    by = forms.ChoiceField(label=gettext_lazy("Group by"), choices=BY)
    defaults = {"by": "type"}


# group key, and how one page of keys is named (a lookup for those keys only, after the top-N)
BY_KEYS = {"type": "type_id", "client": "counterparty_id", "manager": "counterparty__main_manager_id",
           "product": "product_id"}
CHART_ROWS = 20
CHUNK = 500
DETAIL_KEYS = 1000  # more groups (an export): their counts in one grouped pass instead of by keys


def _names(by, keys):
    """{key: label} of the given group keys."""
    from django.contrib.auth import get_user_model

    from clients.models import Counterparty
    from sales.models import Product

    from .models import ComplaintType

    names = {}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start:start + CHUNK]
        if by == "type":
            names.update((t.pk, t.name) for t in ComplaintType.all_objects.filter(pk__in=chunk))
        elif by == "manager":
            names.update((u.pk, str(u)) for u in get_user_model().objects.filter(pk__in=chunk))
        else:
            model = Counterparty if by == "client" else Product
            names.update(model.all_objects.filter(pk__in=chunk).values_list("pk", "name"))
    return names


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
    # Many clients: the page shows the biggest groups (counted and cut in SQL, then named; the XLSX
    # has all), the chart the top 20; the totals row is one aggregate, not a sum over the groups.
    tables = [Table("report", gettext_lazy("Complaints by type, client, manager, product"), columns,
                    map_rows="name_rows", totals="total_rows", html_limit=200)]
    charts = [Chart(gettext_lazy("Complaints"), label="group", values=["count"], horizontal=True,
                    where=lambda row: row.get("rank", 0) <= CHART_ROWS)]

    @staticmethod
    def counts():
        open_q = Q(state__in=Complaint.OPEN_STATES)
        return {"count": Count("id"), "open": Count("id", filter=open_q),
                "overdue": Count("id", filter=open_q & Q(deadline__lt=timezone.now())),
                "closed": Count("id", filter=Q(state__in=(Complaint.State.CLOSED, Complaint.State.REJECTED)))}

    def rows(self, filters, user):
        # Only the count per group, to rank them: every further aggregate costs SQLite as much again
        # over tens of thousands of groups. The page's groups get their other counts in name_rows.
        key = BY_KEYS[filters["by"]]
        complaints = (self.complaints_by_client if filters["by"] == "client" else self.complaints)(filters, user)
        return (complaints.order_by().values(group_key=F(key)).annotate(count=Count("id"))
                .order_by("-count", "group_key"))

    def details(self, keys):
        """{group key: {open, overdue, closed}} of the given groups (all of them for a long list)."""
        key = BY_KEYS[self.filters["by"]]
        qs = self.complaints(self.filters, self.user).order_by()
        if len(keys) <= DETAIL_KEYS:
            wanted = Q(**{f"{key}__in": [k for k in keys if k is not None]})
            if None in keys:
                wanted |= Q(**{f"{key}__isnull": True})
            qs = qs.filter(wanted)
        return {row.pop("group_key"): row for row in qs.values(group_key=F(key)).annotate(**self.counts())}

    def name_rows(self, groups):
        keys = [g["group_key"] for g in groups]
        names = _names(self.filters["by"], [k for k in keys if k is not None])
        details = self.details(keys)
        rows = []
        for rank, g in enumerate(groups, start=1):
            more = details.get(g["group_key"], {})
            rows.append({"group": _("— none —") if g["group_key"] is None else names.get(g["group_key"], ""),
                         "count": g["count"], "open": more.get("open", 0), "overdue": more.get("overdue", 0),
                         "closed": more.get("closed", 0), "rank": rank})
        return rows

    def total_rows(self, filters, user):
        # Two cheap aggregates instead of one with four counts: all complaints of the period, and the
        # open ones from their partial index; closed or rejected are the rest.
        complaints = self.complaints(filters, user).order_by()
        count = complaints.aggregate(count=Count("id"))["count"]
        if not count:
            return []
        open_ = complaints.filter(open_complaint()).aggregate(
            open=Count("id"), overdue=Count("id", filter=Q(deadline__lt=timezone.now())))
        return [{"_level": "total", "group": _("Total"), "count": count, **open_, "closed": count - open_["open"]}]


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
