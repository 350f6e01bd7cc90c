"""The management dashboard (SPEC §4, seed 002): today's figures for the heads of the company.

Revenue (actual shipments at their line's price) and payments received today and this month,
expected sales (open deals' amount × probability by expected close month), open deals by stage,
and contacts done / overdue / planned per employee with their overdue tasks.

Everything starts from ``restrict(user, "view")``: a head sees the whole company, a sales
manager only their own figures. Each block is one grouped query (conditional aggregates), so
the number of queries does not grow with the data; amounts stay per currency, never added up.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from activities.models import Interaction, Task
from core import access

from ..models import Deal, Payment, Pipeline, PlanFact, Shipment, Stage
from . import board

CENT = Decimal("0.01")
ZERO = Decimal("0")
MONEY = DecimalField(max_digits=24, decimal_places=2)
FORECAST_MONTHS = 6  # this month and the five after it; later ones are summed up


def _money(value):
    # SQLite multiplies decimals as floats: round the sums back to cents.
    return (value or ZERO).quantize(CENT)


def currency_order(currency):
    return (currency != settings.KLIENTURA_CURRENCY, currency)


def month_start(day, shift=0):
    """The first day of ``day``'s month moved by ``shift`` months."""
    month = day.year * 12 + day.month - 1 + shift
    return datetime.date(month // 12, month % 12 + 1, 1)


def local_midnight(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass
class Moment:
    """"Now" for one dashboard: the local day and the month around it."""

    now: datetime.datetime

    def __post_init__(self):
        self.today = timezone.localdate(self.now)
        self.month = month_start(self.today)
        self.next_month = month_start(self.today, 1)


# --- Money in: revenue and payments ----------------------------------------------------------


@dataclass
class MoneyRow:
    currency: str
    revenue_today: Decimal = ZERO
    revenue_month: Decimal = ZERO
    paid_today: Decimal = ZERO
    paid_month: Decimal = ZERO


def money_in(user, moment):
    """[MoneyRow] per currency: actual shipments valued at their line's price, actual payments."""
    rows = {}
    value = ExpressionWrapper(F("quantity") * F("line__price"), output_field=MONEY)
    in_month = {"kind": PlanFact.ACTUAL, "date__gte": moment.month, "date__lt": moment.next_month}
    shipped = (Shipment.objects.restrict(user, access.VIEW).filter(**in_month)
               .values(currency=F("order__currency"))
               .annotate(today=Sum(value, filter=Q(date=moment.today)), month=Sum(value)).order_by())
    for row in shipped:
        money = rows.setdefault(row["currency"], MoneyRow(row["currency"]))
        money.revenue_today, money.revenue_month = _money(row["today"]), _money(row["month"])
    paid = (Payment.objects.restrict(user, access.VIEW).filter(**in_month)
            .values(currency=F("order__currency"))
            .annotate(today=Sum("amount", filter=Q(date=moment.today)), month=Sum("amount")).order_by())
    for row in paid:
        money = rows.setdefault(row["currency"], MoneyRow(row["currency"]))
        money.paid_today, money.paid_month = _money(row["today"]), _money(row["month"])
    return [rows[c] for c in sorted(rows, key=currency_order)]


# --- Expected sales ----------------------------------------------------------------------------


@dataclass
class ForecastBucket:
    """Open deals expected to close in one month (or overdue / later / without a date)."""

    key: str  # "overdue", "YYYY-MM", "later", "none"
    month: datetime.date | None = None
    count: int = 0
    amounts: dict = field(default_factory=dict)  # currency: Σ amount
    expected: dict = field(default_factory=dict)  # currency: Σ amount × probability / 100


def expected_sales(user, moment, months=FORECAST_MONTHS):
    """Open deals by expected close month: buckets in order, and the currencies found."""
    weighted = ExpressionWrapper(F("amount") * Coalesce("probability", "stage__probability"), output_field=MONEY)
    rows = (Deal.objects.restrict(user, access.VIEW).filter(stage__kind=Stage.Kind.OPEN)
            .values("currency", month=TruncMonth("expected_close_date"))
            .annotate(count=Count("id"), total=Sum("amount"), weighted=Sum(weighted)).order_by())
    horizon = month_start(moment.today, months)
    buckets = {"overdue": ForecastBucket("overdue")}
    for shift in range(months):
        start = month_start(moment.today, shift)
        buckets[start.isoformat()[:7]] = ForecastBucket(start.isoformat()[:7], start)
    buckets["later"] = ForecastBucket("later", horizon)
    buckets["none"] = ForecastBucket("none")
    currencies = set()
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime.datetime):  # a date on every backend, but be safe
            month = month.date()
        if month is None:
            key = "none"
        elif month < moment.month:
            key = "overdue"  # expected to have closed already, still open
        elif month >= horizon:
            key = "later"
        else:
            key = month.isoformat()[:7]
        bucket, currency = buckets[key], row["currency"]
        currencies.add(currency)
        bucket.count += row["count"]
        bucket.amounts[currency] = bucket.amounts.get(currency, ZERO) + _money(row["total"])
        bucket.expected[currency] = bucket.expected.get(currency, ZERO) + _money(row["weighted"] / 100)
    result = [b for b in buckets.values() if b.count or b.month is not None and b.key != "later"]
    return result, sorted(currencies, key=currency_order)


# --- Open deals by stage -----------------------------------------------------------------------


def open_deals_by_stage(user, pipeline):
    """[(stage, count, [(currency, amount)])] for the open stages of ``pipeline``, in order."""
    if pipeline is None:
        return []
    totals = board.column_totals(user, pipeline)
    empty = {"count": 0, "sums": []}
    return [(stage, totals.get(stage.pk, empty)["count"],
             sorted(totals.get(stage.pk, empty)["sums"], key=lambda s: currency_order(s[0])))
            for stage in pipeline.stages.filter(kind=Stage.Kind.OPEN).order_by("order", "pk")]


# --- Contacts and tasks per employee -----------------------------------------------------------


@dataclass
class EmployeeRow:
    user_id: int
    name: str
    done_today: int = 0
    done_month: int = 0
    overdue: int = 0
    planned: int = 0
    overdue_tasks: int = 0


def _name(row, prefix):
    full = f"{row[prefix + 'first_name']} {row[prefix + 'last_name']}".strip()
    return full or row[prefix + "username"]


def employees(user, moment):
    """[EmployeeRow] for everyone with contacts this month, planned contacts or overdue tasks.

    Done = contacts marked done (this month / today); overdue = still planned with a start in
    the past; planned = still planned, starting from now on. Tasks: open with a past deadline.
    """
    done, planned = Interaction.State.DONE, Interaction.State.PLANNED
    today = Q(start__gte=local_midnight(moment.today),
              start__lt=local_midnight(moment.today + datetime.timedelta(days=1)))
    month = Q(start__gte=local_midnight(moment.month), start__lt=local_midnight(moment.next_month))
    names = ("first_name", "last_name", "username")
    contacts = (Interaction.objects.restrict(user, access.VIEW)
                .filter(Q(state=done) & month | Q(state=planned))
                .values("responsible_id", *[f"responsible__{n}" for n in names])
                .annotate(done_today=Count("id", filter=Q(state=done) & today),
                          done_month=Count("id", filter=Q(state=done)),
                          overdue=Count("id", filter=Q(state=planned, start__lt=moment.now)),
                          planned=Count("id", filter=Q(state=planned, start__gte=moment.now)))
                .order_by())
    rows = {}
    for row in contacts:
        rows[row["responsible_id"]] = EmployeeRow(
            row["responsible_id"], _name(row, "responsible__"), row["done_today"], row["done_month"],
            row["overdue"], row["planned"])
    tasks = (Task.objects.restrict(user, access.VIEW).filter(state=Task.State.OPEN, deadline__lt=moment.now)
             .values("assignee_id", *[f"assignee__{n}" for n in names]).annotate(count=Count("id")).order_by())
    for row in tasks:
        employee = rows.setdefault(row["assignee_id"], EmployeeRow(row["assignee_id"], _name(row, "assignee__")))
        employee.overdue_tasks = row["count"]
    return sorted(rows.values(), key=lambda r: r.name.lower())


def totals(rows):
    keys = ("done_today", "done_month", "overdue", "planned", "overdue_tasks")
    return {key: sum(getattr(r, key) for r in rows) for key in keys}


# --- All of it ---------------------------------------------------------------------------------


def build(user, now=None):
    """Everything the dashboard page shows, for ``user``'s scope."""
    moment = Moment(now or timezone.now())
    pipeline = Pipeline.default()
    forecast, forecast_currencies = expected_sales(user, moment)
    people = employees(user, moment)
    return {
        "moment": moment,
        "money": money_in(user, moment),
        "forecast": forecast,
        "forecast_currencies": forecast_currencies,
        "pipeline": pipeline,
        "stages": open_deals_by_stage(user, pipeline),
        "employees": people,
        "employee_totals": totals(people),
    }
