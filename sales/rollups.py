"""The sales rollups, kept by ``core.rollups`` triggers, and their readers: ``DealTotal`` (open
deals by stage and month), ``RevenueDay`` and ``PaymentDay`` (the money of a day per currency),
``ProfitDay`` and ``ProductDay`` (the orders with income of a day, and their lines), ``DealDay``
and ``MoveDay`` (deals created and stage moves of a local day)."""

from django.db.models import Case, Count, DateField, DecimalField, ExpressionWrapper, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth

from clients.models import Counterparty, CounterpartyShare
from core import access, rollups
from core.models import not_trashed

from .models import (
    ClientDay,
    Deal,
    DealDay,
    DealTotal,
    MoveDay,
    Order,
    OrderLine,
    Payment,
    PaymentDay,
    PlanFact,
    ProductDay,
    ProfitDay,
    RevenueDay,
    SaleDay,
    StageChange,
)
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



DEAL_DAYS = rollups.Rollup(
    model=DealDay,
    source=Deal._meta.db_table,
    keys={"date": rollups.local_date("created_at"), "stage_id": "{r}.stage_id",
          "responsible_id": "{r}.responsible_id", "client_manager": CLIENT_MANAGER},
    sums={"count": "1"},
    where="{r}.deleted_at IS NULL",
    parents={CLIENTS: ("counterparty_id", ["main_manager_id"])},
)

DEALS = Deal._meta.db_table


def _of_deal(column):
    return f"(SELECT d.{column} FROM {DEALS} d WHERE d.id = {{r}}.deal_id)"  # noqa: S608


MOVE_DAYS = rollups.Rollup(
    model=MoveDay,
    source=StageChange._meta.db_table,
    keys={"date": rollups.local_date("moved_at"), "to_stage_id": "{r}.to_stage_id",
          "furthest_before": "COALESCE({r}.furthest_before_id, 0)", "stage_id": _of_deal("stage_id"),
          "responsible_id": _of_deal("responsible_id"), "currency": _of_deal("currency"),
          "client_manager": f"COALESCE((SELECT c.main_manager_id FROM {DEALS} d JOIN {CLIENTS} c "  # noqa: S608
                            "ON c.id = d.counterparty_id WHERE d.id = {r}.deal_id), 0)"},
    sums={"count": "1", "amount": _of_deal("amount")},
    where=f"EXISTS (SELECT 1 FROM {DEALS} d WHERE d.id = {{r}}.deal_id AND d.deleted_at IS NULL)",  # noqa: S608
    parents={DEALS: ("deal_id", ["stage_id", "responsible_id", "currency", "amount", "counterparty_id",
                                 "deleted_at"]),
             CLIENTS: (f"{{r}}.deal_id IN (SELECT d.id FROM {DEALS} d WHERE d.counterparty_id = {{p}}.id)",  # noqa: S608
                       ["main_manager_id"])},
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


# The orders with income (sales.services.reports.INCOME_STATES) and their lines.
ORDERS = Order._meta.db_table
INCOME_STATES = [Order.State.CONFIRMED, Order.State.COMPLETED]
INCOME = "IN ({})".format(", ".join(f"'{state}'" for state in INCOME_STATES))

PROFIT_DAYS = rollups.Rollup(
    model=ProfitDay,
    source=ORDERS,
    keys={"date": "{r}.date", "currency": "{r}.currency", "responsible_id": "{r}.responsible_id",
          "client_manager": CLIENT_MANAGER},
    sums={"count": "1", "amount": "{r}.amount", "cost": "{r}.cost"},
    where=f"{{r}}.deleted_at IS NULL AND {{r}}.state {INCOME}",
    parents={CLIENTS: ("counterparty_id", ["main_manager_id"])},
)


CLIENT_DAYS = rollups.Rollup(
    model=ClientDay,
    source=ORDERS,
    keys={"client_manager": CLIENT_MANAGER, "date": "{r}.date", "counterparty_id": "{r}.counterparty_id",
          "name": f"(SELECT c.name FROM {CLIENTS} c WHERE c.id = {{r}}.counterparty_id)",  # noqa: S608
          "currency": "{r}.currency", "responsible_id": "{r}.responsible_id"},
    sums=PROFIT_DAYS.sums,
    where=PROFIT_DAYS.where + f" AND NOT EXISTS (SELECT 1 FROM {CLIENTS} c "  # noqa: S608
                              "WHERE c.id = {r}.counterparty_id AND c.deleted_at IS NOT NULL)",
    parents={CLIENTS: ("counterparty_id", ["main_manager_id", "name", "deleted_at"])},
)


def _of_order(column):
    return f"(SELECT o.{column} FROM {ORDERS} o WHERE o.id = {{r}}.order_id)"  # noqa: S608


PRODUCT_DAYS = rollups.Rollup(
    model=ProductDay,
    source=OrderLine._meta.db_table,
    keys={"date": _of_order("date"), "currency": _of_order("currency"), "responsible_id": _of_order("responsible_id"),
          "client_manager": f"COALESCE((SELECT c.main_manager_id FROM {ORDERS} o JOIN {CLIENTS} c "  # noqa: S608
                            "ON c.id = o.counterparty_id WHERE o.id = {r}.order_id), 0)",
          "catalog_product": "COALESCE({r}.catalog_product_id, 0)",
          "name": "CASE WHEN {r}.catalog_product_id IS NULL THEN {r}.product ELSE '' END"},
    sums={"count": "1", "quantity": "{r}.quantity", "income": "{r}.quantity * {r}.price",
          "cost": "{r}.quantity * {r}.cost"},
    where=f"{{r}}.deleted_at IS NULL AND EXISTS (SELECT 1 FROM {ORDERS} o WHERE o.id = {{r}}.order_id "  # noqa: S608
          f"AND o.deleted_at IS NULL AND o.state {INCOME})",
    parents={ORDERS: ("order_id", ["date", "currency", "responsible_id", "counterparty_id", "state", "deleted_at"]),
             CLIENTS: (f"{{r}}.order_id IN (SELECT o.id FROM {ORDERS} o WHERE o.counterparty_id = {{p}}.id)",  # noqa: S608
                       ["main_manager_id"])},
)


def register():
    for rollup in (DEAL_TOTALS, DEAL_DAYS, MOVE_DAYS, REVENUE_DAYS, PAYMENT_DAYS, PROFIT_DAYS, CLIENT_DAYS,
                   PRODUCT_DAYS):
        rollups.register(rollup)


def reads_totals(user):
    """Whether ``user``'s deal figures may come from the rollup: they see every deal, or a sales
    manager's (as responsible, as the client's main manager, of the clients shared with them)."""
    return access.rule_for(user)[0] in ("all", "own") and access.can(user, access.VIEW, Deal)


def totals(user, keys, weighted=False, **filters):
    """[{key…, n, total[, expected]}] of the deals ``user`` sees grouped by ``keys`` (DealTotal's
    columns; a close month is None for deals without one), ``filters`` on the stage (see
    ``scoped``). ``expected``: Σ amount × probability (the deal's own, else its stage's), in % units."""
    sums = {"n": Sum("count"), "total": Sum("amount")}
    if weighted:
        sums["expected"] = Sum(F("weighted") + F("unweighted") * F("stage__probability"))

    def kept(rollup):
        for row in rollup.values(*keys).annotate(**sums).order_by():
            if row.get("close_month") == NO_DATE:
                row["close_month"] = None
            yield row

    rows = scoped(user, DealTotal.objects.filter(**filters), kept, Deal.objects.filter(**filters),
                  lambda deals: _grouped(deals, keys, weighted), keys)
    return [row for row in rows if row["n"]]


def scoped(user, rollup, kept, live, grouped, keys, path=""):
    """The groups of a rollup keyed by responsible and client's main manager that ``user`` sees:
    ``kept(rollup)`` — its rows (narrowed to theirs for a sales manager) grouped by ``keys`` —
    less ``grouped(…)`` of the ``live`` source rows of clients in the trash; for a sales manager,
    plus those of the clients shared with them (few, counted live). ``path`` leads from a source
    row to the deal or order with the responsible and the client ("order__" from a line)."""
    own = access.rule_for(user)[0] != "all"
    if own:
        rollup = rollup.filter(Q(responsible=user) | Q(client_manager=user.pk))
    rows = {tuple(row[k] for k in keys): row for row in kept(rollup)}
    client, responsible = f"{path}counterparty", f"{path}responsible"
    trashed = Counterparty.all_objects.filter(deleted_at__isnull=False).values("pk")
    hidden = live.filter(**{f"{client}__in": trashed})
    if own:
        hidden = hidden.filter(Q(**{responsible: user}) | Q(**{f"{client}__main_manager": user}))
    _add(rows, grouped(hidden), keys, -1)
    if own:  # the rest of their scope: the clients shared with them
        shared = CounterpartyShare.objects.filter(user=user).values("counterparty_id")
        extra = (live.filter(not_trashed(client, Counterparty), **{f"{client}__in": shared})
                 .exclude(**{responsible: user}).exclude(**{f"{client}__main_manager": user}))
        _add(rows, grouped(extra), keys, 1)
    return list(rows.values())


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


# --- Profit of a day ------------------------------------------------------------------------------


def reads_profit(user):
    """Whether ``user``'s profitability figures may come from ``ProfitDay`` / ``ProductDay``: they
    see every order, or a sales manager's (as responsible, as the client's main manager, shared)."""
    return access.rule_for(user)[0] in ("all", "own") and access.can(user, access.VIEW, Order)


def of_responsible(queryset, responsible, path=""):
    """``queryset``'s rows of the ``responsible`` (users; all if empty), found through ``path``."""
    return queryset.filter(**{f"{path}responsible__in": list(responsible)}) if responsible else queryset


def _income(queryset, start, end, responsible, path=""):
    return of_responsible(queryset.filter(**{f"{path}date__gte": start, f"{path}date__lte": end}), responsible, path)


def profit(user, start, end, responsible=(), monthly=False):
    """[{currency[, month], n, income, cost}] of the orders with income from ``start`` to ``end``
    (both included) that ``user`` sees, of the ``responsible`` (all if empty)."""
    keys = ["currency", "month"] if monthly else ["currency"]

    def by(rows):
        return rows.annotate(month=TruncMonth("date", output_field=DateField())) if monthly else rows

    def kept(rollup):
        return by(rollup).values(*keys).annotate(n=Sum("count"), income=Sum("amount"), cost=Sum("cost")).order_by()

    def grouped(orders):
        return by(orders).values(*keys).annotate(n=Count("pk"), income=Sum("amount"), cost=Sum("cost")).order_by()

    live = _income(Order.objects.filter(state__in=INCOME_STATES), start, end, responsible)
    rows = scoped(user, _income(ProfitDay.objects, start, end, responsible), kept, live, grouped, keys)
    return [row for row in rows if row["n"]]


def product_sales(user, start, end, responsible=()):
    """[{currency, product_id (0: free text), free_name ("" for a catalogue product), n, sold (the
    quantity), sold_income, sold_cost}] of the lines of the orders with income as ``profit``; the
    money unrounded."""
    keys = ["currency", "product_id", "free_name"]

    def kept(rollup):
        return (rollup.values("currency", product_id=F("catalog_product"), free_name=F("name"))
                .annotate(n=Sum("count"), sold=Sum("quantity"), sold_income=Sum("income"), sold_cost=Sum("cost"))
                .order_by())

    live = _income(OrderLine.objects.filter(order__deleted_at__isnull=True, order__state__in=INCOME_STATES),
                   start, end, responsible, path="order__")
    rows = scoped(user, _income(ProductDay.objects, start, end, responsible), kept, live, product_lines, keys,
                  path="order__")
    return [row for row in rows if row["n"]]


def product_lines(lines):
    """``lines`` grouped as ``product_sales``' rows."""
    money = DecimalField(max_digits=30, decimal_places=5)
    return (lines.values(currency=F("order__currency"), product_id=Coalesce("catalog_product", 0),
                         free_name=Case(When(catalog_product__isnull=True, then=F("product")), default=Value("")))
            .annotate(n=Count("pk"), sold=Sum("quantity"),
                      sold_income=Sum(ExpressionWrapper(F("quantity") * F("price"), output_field=money)),
                      sold_cost=Sum(ExpressionWrapper(F("quantity") * F("cost"), output_field=money))).order_by())


# --- Deals created and stage moves of a day -------------------------------------------------------


def created_deals(user, stages, period, responsible=()):
    """[{responsible, month, n}] of the deals ``user`` sees (``reads_totals``) created in the local
    dates of ``period``, now in one of ``stages``, of the ``responsible`` (all if empty)."""
    keys = ["responsible", "month"]

    def kept(rollup):
        return (rollup.annotate(month=TruncMonth("date", output_field=DateField())).values(*keys)
                .annotate(n=Sum("count")).order_by())

    def grouped(deals):
        return (deals.annotate(month=TruncMonth("created_at", output_field=DateField())).values(*keys)
                .annotate(n=Count("pk")).order_by())

    live = of_responsible(Deal.objects.filter(period.q("created_at"), stage__in=stages), responsible)
    rollup = of_responsible(DealDay.objects.filter(stage__in=stages, date__gte=period.date_from,
                                                    date__lte=period.date_to), responsible)
    return [row for row in scoped(user, rollup, kept, live, grouped, keys) if row["n"]]


def first_entries(user, further, stages, period, responsible=()):
    """[{responsible, month, currency, n, s}] of the moves that first brought a deal ``user`` sees,
    now in one of ``stages``, into one of the stages ``further`` (ids), made in the local dates of
    ``period``: a move into one of them whose deal had not been in any before. ``s``: Σ the deals'
    amounts."""
    keys = ["responsible", "month", "currency"]

    def kept(rollup):
        return (rollup.annotate(month=TruncMonth("date", output_field=DateField())).values(*keys)
                .annotate(n=Sum("count"), s=Sum("amount")).order_by())

    def grouped(moves):
        return (moves.annotate(month=TruncMonth("moved_at", output_field=DateField()))
                .values("month", responsible=F("deal__responsible"), currency=F("deal__currency"))
                .annotate(n=Count("pk"), s=Sum("deal__amount")).order_by())

    live = of_responsible(StageChange.objects.filter(period.q("moved_at"), to_stage__in=further,
                                                      deal__stage__in=stages, deal__deleted_at__isnull=True)
                           .exclude(furthest_before__in=further), responsible, path="deal__")
    rollup = of_responsible(MoveDay.objects.filter(to_stage__in=further, stage__in=stages,
                                                    date__gte=period.date_from, date__lte=period.date_to)
                             .exclude(furthest_before__in=further), responsible)
    return [row for row in scoped(user, rollup, kept, live, grouped, keys, path="deal__") if row["n"]]
