"""The deals' rollup (``DealTotal``), kept by ``core.rollups`` triggers, and its readers."""

from django.db.models import Count, DateField, F, Sum
from django.db.models.functions import Coalesce, TruncMonth

from clients.models import Counterparty
from core import access, rollups

from .models import Deal, DealTotal
from .models.deals import NO_DATE

MONTH = {"postgresql": f"COALESCE(date_trunc('month', {{r}}.expected_close_date)::date, DATE '{NO_DATE}')",
         "sqlite": f"COALESCE(date({{r}}.expected_close_date, 'start of month'), '{NO_DATE}')"}

DEAL_TOTALS = rollups.Rollup(
    model=DealTotal,
    source=Deal._meta.db_table,
    keys={"stage_id": "{r}.stage_id", "currency": "{r}.currency", "close_month": MONTH},
    sums={"count": "1", "amount": "{r}.amount",
          "weighted": "CASE WHEN {r}.probability IS NULL THEN 0 ELSE {r}.amount * {r}.probability END",
          "unweighted": "CASE WHEN {r}.probability IS NULL THEN {r}.amount ELSE 0 END"},
    where="{r}.deleted_at IS NULL",
)


def register():
    rollups.register(DEAL_TOTALS)


def reads_totals(user):
    """Whether ``user``'s deal figures may come from the rollup: they see every client's deals."""
    return access.rule_for(user)[0] == "all" and access.can(user, access.VIEW, Deal)


def totals(keys, weighted=False, **filters):
    """[{key…, n, total[, expected]}] of the live deals grouped by ``keys`` (DealTotal's columns; a
    close month is None for deals without one), ``filters`` on the stage: the rollup less the deals
    of clients in the trash. ``expected``: Σ amount × probability (the deal's own, else its
    stage's), in % units."""
    sums = {"n": Sum("count"), "total": Sum("amount")}
    if weighted:
        sums["expected"] = Sum(F("weighted") + F("unweighted") * F("stage__probability"))
    rows = {}
    for row in DealTotal.objects.filter(**filters).values(*keys).annotate(**sums).order_by():
        if row.get("close_month") == NO_DATE:
            row["close_month"] = None
        rows[tuple(row[k] for k in keys)] = row
    trashed = Counterparty.all_objects.filter(deleted_at__isnull=False).values("pk")
    for row in _grouped(Deal.objects.filter(counterparty__in=trashed, **filters), keys, weighted):
        kept = rows.get(tuple(row[k] for k in keys))
        for name in sums if kept else ():
            kept[name] -= row[name] or 0
    return [row for row in rows.values() if row["n"]]


def _grouped(deals, keys, weighted):
    """The same groups counted from ``deals`` themselves."""
    if "close_month" in keys:
        deals = deals.annotate(close_month=TruncMonth("expected_close_date", output_field=DateField()))
    sums = {"n": Count("id"), "total": Sum("amount")}
    if weighted:
        sums["expected"] = Sum(F("amount") * Coalesce("probability", "stage__probability"))
    return deals.values(*keys).annotate(**sums).order_by()
