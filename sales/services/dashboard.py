"""The management dashboard (SPEC §4, seed 002): today's figures for the heads of the company.

Revenue (actual shipments at their line's price, from ``SaleDay``) and payments received today and this month,
expected sales (open deals' amount × probability by expected close month), open deals by stage,
each a tile of the core dashboard (sales.views.dashboard registers them; the contacts per
employee are the activities' tile).

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

from core import access
from core.dashboard import month_start

from .. import rollups
from ..models import Deal, Payment, PlanFact, SaleDay, Shipment, Stage
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
    if rollups.reads_money(user, Shipment) and rollups.reads_money(user, Payment):
        return _money_from_days(moment)
    rows = {}
    in_month = {"date__gte": moment.month, "date__lt": moment.next_month}
    # The sale days kept from the actual shipments (each line valued to the kopeck, as the
    # documents and the analysis value it): a month of a large base's shipments took 0.2 s.
    shipped = (SaleDay.visible_to(user).filter(**in_month)
               .values(currency=F("order__currency"))
               .annotate(today=Sum("amount", filter=Q(date=moment.today)), month=Sum("amount")).order_by())
    for row in shipped:
        money = rows.setdefault(row["currency"], MoneyRow(row["currency"]))
        money.revenue_today, money.revenue_month = _money(row["today"]), _money(row["month"])
    paid = (Payment.objects.restrict(user, access.VIEW).filter(kind=PlanFact.ACTUAL, **in_month)
            .values(currency=F("order__currency"))
            .annotate(today=Sum("amount", filter=Q(date=moment.today)), month=Sum("amount")).order_by())
    for row in paid:
        money = rows.setdefault(row["currency"], MoneyRow(row["currency"]))
        money.paid_today, money.paid_month = _money(row["today"]), _money(row["month"])
    return [rows[c] for c in sorted(rows, key=currency_order)]


def _money_from_days(moment):
    """``money_in`` for whoever sees every client's money: the day rollups (a month of a million
    clients' sale days and payments joined to their orders took 0.1 s)."""
    rows, hidden = {}, rollups.hidden_orders()
    for model, today, month in ((SaleDay, "revenue_today", "revenue_month"), (Payment, "paid_today", "paid_month")):
        days = rollups.money_days(model, moment.month, moment.next_month, moment.today, hidden)
        for currency, (day, total) in days.items():
            money = rows.setdefault(currency, MoneyRow(currency))
            setattr(money, today, _money(day))
            setattr(money, month, _money(total))
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
    if rollups.reads_totals(user):  # the rollup, not 200 000 deals
        rows = rollups.totals(user, ["currency", "close_month"], weighted=True, stage__kind=Stage.Kind.OPEN)
    else:
        weighted = ExpressionWrapper(F("amount") * Coalesce("probability", "stage__probability"), output_field=MONEY)
        rows = (Deal.objects.restrict(user, access.VIEW).filter(stage__kind=Stage.Kind.OPEN)
                .values("currency", close_month=TruncMonth("expected_close_date"))
                .annotate(n=Count("id"), total=Sum("amount"), expected=Sum(weighted)).order_by())
    horizon = month_start(moment.today, months)
    buckets = {"overdue": ForecastBucket("overdue")}
    for shift in range(months):
        start = month_start(moment.today, shift)
        buckets[start.isoformat()[:7]] = ForecastBucket(start.isoformat()[:7], start)
    buckets["later"] = ForecastBucket("later", horizon)
    buckets["none"] = ForecastBucket("none")
    currencies = set()
    for row in rows:
        month = row["close_month"]
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
        bucket.count += row["n"]
        bucket.amounts[currency] = bucket.amounts.get(currency, ZERO) + _money(row["total"])
        bucket.expected[currency] = bucket.expected.get(currency, ZERO) + _money(row["expected"] / 100)
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
