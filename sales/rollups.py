"""The sales rollups, kept by ``core.rollups`` triggers, and their readers: ``DealTotal`` (open
deals by stage and month), ``RevenueDay`` and ``PaymentDay`` (the money of a day per currency)."""

from django.db.models import Count, DateField, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth

from clients.models import Counterparty, CounterpartyShare
from core import access, rollups
from core.models import not_trashed

from .models import Deal, DealTotal, Order, Payment, PaymentDay, PlanFact, RevenueDay, SaleDay
from .models.deals import NO_DATE

MONTH = {"postgresql": f"COALESCE(date_trunc('month', {{r}}.expected_close_date)::date, DATE '{NO_DATE}')",
         "sqlite": f"COALESCE(date({{r}}.expected_close_date, 'start of month'), '{NO_DATE}')"}

CLIENTS = Counterparty._meta.db_table
CLIENT_MANAGER = f"COALESCE((SELECT c.main_manager_id FROM {CLIENTS} c WHERE c.id = {{r}}.counterparty_id), 0)"  # noqa: S608

DEAL_TOTALS = rollups.Rollup(
    model=DealTotal,
    source=Deal._meta.db_table,
    keys={"stage_id": "{r}.stage_id", "currency": "{r}.currency", "close_month": MONTH,
          "responsible_id": "{r}.responsible_id",
          "client_manager": CLIENT_MANAGER},
    sums={"count": "1", "amount": "{r}.amount",
          "weighted": "CASE WHEN {r}.probability IS NULL THEN 0 ELSE {r}.amount * {r}.probability END",
          "unweighted": "CASE WHEN {r}.probability IS NULL THEN {r}.amount ELSE 0 END"},
    where="{r}.deleted_at IS NULL",
    parents={CLIENTS: ("counterparty_id", ["main_manager_id"])},  # a client changing hands
)


# The order's currency: read through the order, kept when it changes (``parents``).
CURRENCY = f"(SELECT o.currency FROM {Order._meta.db_table} o WHERE o.id = {{r}}.order_id)"  # noqa: S608
IN_ORDER = {Order._meta.db_table: ("order_id", ["currency"])}

REVENUE_DAYS = rollups.Rollup(
    model=RevenueDay,
    source=SaleDay._meta.db_table,
    keys={"date": "{r}.date", "currency": CURRENCY},
    sums={"count": "1", "amount": "{r}.amount"},
    parents=IN_ORDER,
)

PAYMENT_DAYS = rollups.Rollup(
    model=PaymentDay,
    source=Payment._meta.db_table,
    keys={"date": "{r}.date", "currency": CURRENCY},
    sums={"count": "1", "amount": "{r}.amount"},
    where=f"{{r}}.kind = '{PlanFact.ACTUAL}' AND {{r}}.deleted_at IS NULL",
    parents=IN_ORDER,
)


def register():
    for rollup in (DEAL_TOTALS, REVENUE_DAYS, PAYMENT_DAYS):
        rollups.register(rollup)


def reads_totals(user):
    """Whether ``user``'s deal figures may come from the rollup: they see every deal, or a sales
    manager's (as responsible, as the client's main manager, of the clients shared with them)."""
    return access.rule_for(user)[0] in ("all", "own") and access.can(user, access.VIEW, Deal)


def totals(user, keys, weighted=False, **filters):
    """[{key…, n, total[, expected]}] of the deals ``user`` sees grouped by ``keys`` (DealTotal's
    columns; a close month is None for deals without one), ``filters`` on the stage: the rollup
    less the deals of clients in the trash; for a sales manager, their rows of it plus the deals
    of clients shared with them. ``expected``: Σ amount × probability (the deal's own, else its
    stage's), in % units."""
    own = access.rule_for(user)[0] != "all"
    sums = {"n": Sum("count"), "total": Sum("amount")}
    if weighted:
        sums["expected"] = Sum(F("weighted") + F("unweighted") * F("stage__probability"))
    kept = DealTotal.objects.filter(**filters)
    if own:
        kept = kept.filter(Q(responsible=user) | Q(client_manager=user.pk))
    rows = {}
    for row in kept.values(*keys).annotate(**sums).order_by():
        if row.get("close_month") == NO_DATE:
            row["close_month"] = None
        rows[tuple(row[k] for k in keys)] = row
    trashed = Counterparty.all_objects.filter(deleted_at__isnull=False).values("pk")
    hidden = Deal.objects.filter(counterparty__in=trashed, **filters)
    if own:
        hidden = hidden.filter(Q(responsible=user) | Q(counterparty__main_manager=user))
    _add(rows, _grouped(hidden, keys, weighted), keys, -1)
    if own:  # the rest of their scope: deals of clients shared with them, counted live (few)
        shared = CounterpartyShare.objects.filter(user=user).values("counterparty_id")
        extra = (Deal.objects.filter(not_trashed("counterparty", Counterparty), counterparty__in=shared, **filters)
                 .exclude(responsible=user).exclude(counterparty__main_manager=user))
        _add(rows, _grouped(extra, keys, weighted), keys, 1)
    return [row for row in rows.values() if row["n"]]


def _add(rows, grouped, keys, sign):
    """Add (sign 1) or take off (-1) ``grouped`` rows to the groups of ``rows``."""
    for row in grouped:
        key = tuple(row[k] for k in keys)
        kept = rows.get(key)
        if kept is None:
            if sign < 0:
                continue  # not counted: nothing to take off
            kept = rows[key] = {**{k: row[k] for k in keys}, **{name: 0 for name in row if name not in keys}}
        for name in row:
            if name not in keys:
                kept[name] = (kept[name] or 0) + sign * (row[name] or 0)


def _grouped(deals, keys, weighted):
    """The same groups counted from ``deals`` themselves."""
    if "close_month" in keys:
        deals = deals.annotate(close_month=TruncMonth("expected_close_date", output_field=DateField()))
    sums = {"n": Count("id"), "total": Sum("amount")}
    if weighted:
        sums["expected"] = Sum(F("amount") * Coalesce("probability", "stage__probability"))
    return deals.values(*keys).annotate(**sums).order_by()


# --- Money of a day ------------------------------------------------------------------------------


def reads_money(user, model):
    """Whether ``user``'s revenue (``model`` Shipment) or payments (Payment) may come from the
    day rollups: they see every client's."""
    return access.rule_for(user)[0] == "all" and access.can(user, access.VIEW, model)


def money_days(model, start, end, today, hidden=None):
    """{currency: (Σ amount on ``today``, Σ amount from ``start`` to before ``end``)} of the live
    sale days (``model`` SaleDay) or actual payments (Payment): the day rollup less the orders in
    the trash and the orders of clients in the trash (``hidden``: their ids, if already read).
    Currencies without a row are left out."""
    sums = {"n": Sum("count"), "today": Sum("amount", filter=Q(date=today)), "total": Sum("amount")}
    rollup = RevenueDay if model is SaleDay else PaymentDay
    days = rollup.objects.filter(date__gte=start, date__lt=end).values("currency").annotate(**sums).order_by()
    rows = {(row["currency"],): row for row in days}
    hidden = hidden_orders() if hidden is None else hidden
    if hidden:
        live = model.objects.filter(order__in=hidden, date__gte=start, date__lt=end)
        if model is Payment:
            live = live.filter(kind=PlanFact.ACTUAL)
        sums["n"] = Count("date")
        _add(rows, live.values(currency=F("order__currency")).annotate(**sums).order_by(), ["currency"], -1)
    return {row["currency"]: (row["today"] or 0, row["total"] or 0) for row in rows.values() if row["n"]}


def hidden_orders():
    """Ids of the orders in the trash or of a client in the trash: few, each part found by an
    index (the partial one on trashed orders, the client's; an OR of the two scanned the orders)."""
    trashed = Counterparty.all_objects.filter(deleted_at__isnull=False).order_by().values("pk")
    in_trash = Order.all_objects.filter(deleted_at__isnull=False).order_by().values_list("pk", flat=True)
    of_trashed = Order.all_objects.filter(counterparty__in=trashed).order_by().values_list("pk", flat=True)
    return set(in_trash.union(of_trashed))
