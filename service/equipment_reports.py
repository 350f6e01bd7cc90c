"""Service reports on the core report framework: service visits planned vs done, and equipment by
the end of its warranty and service contract. Definitions: docs/equipment.md.

Every figure starts from ``restrict(user)``: a sales manager counts the visits and units of the
clients they see; service engineers see every client.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Case, Count, DateField, F, Q, When
from django.db.models.functions import Coalesce, Least, TruncDate, TruncMonth
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.models import Counterparty
from core.reports import Chart, Column, Period, PeriodForm, Report, Table, next_12_months
from core.reports import register as register_report

from .models import Equipment, ServiceVisit

GROUP = gettext_lazy("Service and quality")


def period(filters):
    return Period(filters["date_from"], filters["date_to"])


def share(part, whole):
    return round(100 * part / whole, 1) if whole else None


# --- Service visits: planned vs done ----------------------------------------------------------

class VisitsForm(PeriodForm):
    BY = [("engineer", gettext_lazy("Service engineer")), ("month", gettext_lazy("Month")),
          ("client", gettext_lazy("Client"))]
    by = forms.ChoiceField(label=gettext_lazy("Group by"), choices=BY)
    defaults = {"by": "engineer"}


COUNTS = ("planned", "done", "on_time", "overdue", "cancelled")


def visit_counts(visits, by, today):
    """[{group_key, planned, done, on_time, overdue, cancelled}]: one grouped query.

    A visit is due on the local day of its planned end (its planned start when no end is set):
    done on time = done no later than that day; overdue = still planned and that day is past."""
    tz = timezone.get_current_timezone()
    state = ServiceVisit.State
    key = {"engineer": F("engineer_id"), "client": F("counterparty_id"),
           "month": TruncMonth("planned_start", tzinfo=tz)}[by]
    return list(
        visits.order_by()
        .annotate(due_day=TruncDate(Coalesce("planned_end", "planned_start"), tzinfo=tz),
                  done_day=TruncDate("done_at", tzinfo=tz))
        .values(group_key=key)
        .annotate(planned=Count("pk"), done=Count("pk", filter=Q(state=state.DONE)),
                  on_time=Count("pk", filter=Q(state=state.DONE, done_day__lte=F("due_day"))),
                  overdue=Count("pk", filter=Q(state=state.PLANNED, due_day__lt=today)),
                  cancelled=Count("pk", filter=Q(state=state.CANCELLED))))


def with_shares(row):
    # Done, % of the visits not cancelled; on time, % of those done.
    row["done_share"] = share(row["done"], row["planned"] - row["cancelled"])
    row["on_time_share"] = share(row["on_time"], row["done"])
    return row


def visit_rows(user, filters, today=None):
    """Rows by engineer, client or month of the planned start, then a totals row."""
    by, today = filters["by"], today or timezone.localdate()
    visits = ServiceVisit.objects.restrict(user).filter(period(filters).q("planned_start"))
    counts = visit_counts(visits, by, today)
    keys = [c["group_key"] for c in counts if c["group_key"] is not None]
    if by == "month":
        labels = {k: date_format(timezone.localtime(k) if timezone.is_aware(k) else k, "F Y") for k in keys}
        order = {k: (k,) for k in keys}
    else:
        if by == "engineer":
            labels = {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=keys)}
        else:
            labels = dict(Counterparty.all_objects.filter(pk__in=keys).values_list("pk", "name"))
        order = {k: (0, str(labels.get(k, "")).lower(), k) for k in keys}
    rows = []
    for c in sorted(counts, key=lambda c: order.get(c["group_key"], (1,))):
        label = labels.get(c["group_key"], "") if c["group_key"] is not None else _("— nobody —")
        rows.append(with_shares({"group": label, **{k: c[k] for k in COUNTS}}))
    if rows:
        rows.append(with_shares({"_level": "total", "group": _("Total"),
                                 **{k: sum(r[k] for r in rows) for k in COUNTS}}))
    return rows


@register_report
class VisitsReport(Report):
    slug = "service-visits"
    group, group_order = GROUP, 450
    title = gettext_lazy("Service visits: planned and done")
    description = gettext_lazy("Visits planned in a period, done, done on time, overdue and cancelled, by "
                               "engineer, month or client.")
    definition = gettext_lazy(
        "Service visits whose planned start is in the period. Done on time: done no later than the day of the "
        "planned end (of the planned start when no end is set). Overdue: still planned and that day is past. "
        "Done, %: of the visits not cancelled; on time, %: of those done.")
    form_class = VisitsForm
    columns = [
        Column("group", gettext_lazy("Group")),
        Column("planned", gettext_lazy("Planned"), "int"),
        Column("done", gettext_lazy("Done"), "int"),
        Column("on_time", gettext_lazy("Done on time"), "int"),
        Column("overdue", gettext_lazy("Overdue"), "int"),
        Column("cancelled", gettext_lazy("Cancelled"), "int"),
        Column("done_share", gettext_lazy("Done, %"), "percent", empty="—"),
        Column("on_time_share", gettext_lazy("On time, %"), "percent", empty="—"),
    ]
    charts = [Chart(gettext_lazy("Planned and done visits"), label="group",
                    values=["planned", "done", "on_time", "overdue"])]

    def rows(self, filters, user):
        return visit_rows(user, filters)


# --- Equipment by the end of its warranty and service contract -----------------------------------

class WarrantyForm(PeriodForm):
    """Ends ahead matter here: the next 12 months unless chosen."""

    default_period = staticmethod(next_12_months)
    ended = forms.BooleanField(label=gettext_lazy("Also those already ended"), required=False,
                               help_text=gettext_lazy("Units in service whose warranty or contract ended "
                                                      "before the period."))


def end_windows(filters):
    """(warranty condition, contract condition) on Equipment: the end within the period, or
    on or before its last day when the ended ones are asked for too. A contract in the trash
    covers nothing."""
    first, last = filters["date_from"], filters["date_to"]
    warranty = Q(warranty_until__lte=last)
    contract = Q(contract__end__lte=last, contract__deleted_at__isnull=True)
    if not filters.get("ended"):
        warranty &= Q(warranty_until__gte=first)
        contract &= Q(contract__end__gte=first)
    return warranty, contract


def end_month_rows(user, filters):
    """[{month, warranty, contract, contracts}] by month of the end; ended before the period in
    one row first. Two grouped queries."""
    units = Equipment.objects.restrict(user).order_by()
    warranty_q, contract_q = end_windows(filters)
    first = filters["date_from"]
    buckets = {}

    def bucket(month):
        month = None if month < first.replace(day=1) else month  # None: ended before the period
        return buckets.setdefault(month, {"warranty": 0, "contract": 0, "contracts": 0})

    warranty_counts = (units.filter(warranty_q).annotate(m=TruncMonth("warranty_until", output_field=DateField()))
                       .values("m").annotate(n=Count("pk")).values_list("m", "n"))
    for month, count in warranty_counts:
        bucket(month)["warranty"] += count
    contract_counts = (units.filter(contract_q).annotate(m=TruncMonth("contract__end", output_field=DateField()))
                       .values("m").annotate(n=Count("pk"), c=Count("contract", distinct=True))
                       .values_list("m", "n", "c"))
    for month, count, contracts in contract_counts:
        row = bucket(month)
        row["contract"] += count
        row["contracts"] += contracts
    rows = []
    for month in sorted(buckets, key=lambda m: (m is not None, m)):
        label = (date_format(month, "F Y") if month is not None else
                 _("Ended before %(day)s") % {"day": date_format(first, "SHORT_DATE_FORMAT")})
        rows.append({"month": label, **buckets[month]})
    return rows


@register_report
class WarrantyReport(Report):
    slug = "equipment-warranty"
    group, group_order = GROUP, 460
    title = gettext_lazy("Equipment by warranty and service contract")
    description = gettext_lazy("Units whose warranty or service contract ends in a period, by month, with "
                               "the list.")
    definition = gettext_lazy(
        "Units in service whose warranty ends in the period, or whose service contract (not in the trash) ends "
        "in it; with \"also those already ended\", those whose end is before the period too (in one row). "
        "By month of the end: units whose warranty ends, units whose contract ends, and those contracts.")
    form_class = WarrantyForm
    tables = [
        Table("report", gettext_lazy("By month of the end"), [
            Column("month", gettext_lazy("Month")),
            Column("warranty", gettext_lazy("Warranty ends, units"), "int", total=True),
            Column("contract", gettext_lazy("Contract ends, units"), "int", total=True),
            Column("contracts", gettext_lazy("Contracts ending"), "int", total=True),
        ], rows="month_rows"),
        Table("units", gettext_lazy("Units"), [
            Column("client", gettext_lazy("Client")),
            Column("equipment", gettext_lazy("Equipment"), link=True),
            Column("serial_number", gettext_lazy("Serial number")),
            Column("warranty_until", gettext_lazy("Warranty until"), "date"),
            Column("contract", gettext_lazy("Service contract")),
            Column("contract_until", gettext_lazy("Contract until"), "date"),
        ], rows="unit_rows", row="unit_row", paginate=True),
    ]
    charts = [Chart(gettext_lazy("Warranties and contracts ending"), label="month",
                    values=["warranty", "contract"], stacked=True)]

    def month_rows(self, filters, user):
        return end_month_rows(user, filters)

    def unit_rows(self, filters, user):
        """The units, the earliest end that brought them in first (one query a page)."""
        warranty_q, contract_q = end_windows(filters)
        warranty_end = Case(When(warranty_q, then=F("warranty_until")), output_field=DateField())
        contract_end = Case(When(contract_q, then=F("contract__end")), output_field=DateField())
        return (Equipment.objects.restrict(user).filter(warranty_q | contract_q)
                .select_related("counterparty", "product", "contract")
                .annotate(first_end=Least(Coalesce(warranty_end, contract_end), Coalesce(contract_end, warranty_end)))
                .order_by("first_end", "counterparty__name", "serial_number", "pk"))

    def unit_row(self, unit):
        contract = unit.contract if unit.contract_id and unit.contract.deleted_at is None else None
        return {"client": unit.counterparty.name, "equipment": unit.product.name,
                "equipment_url": unit.get_absolute_url(), "serial_number": unit.serial_number,
                "warranty_until": unit.warranty_until, "contract": contract.number if contract else "",
                "contract_until": contract.end if contract else None}

