"""Sales reports (SPEC §4, issue 4 item 6): already-aggregated rows for the report views.

Every report starts from ``restrict(user, "view")`` querysets, so a sales manager's report covers
only their own deals and orders (and those of clients shared with them). Counting and summing is
done by the database (values / annotate); Python only arranges the few grouped rows it gets back.
Amounts are kept per currency (``{currency: Decimal}``): different currencies are never added up.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import islice

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    Avg,
    Count,
    DateField,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext_lazy as _

from activities.services.reports import Period, current_month  # noqa: F401 (re-exported for views)
from clients.models import Counterparty, CounterpartyShare
from clients.services import search_q
from core import access
from core.pagination import serial

from .. import rollups
from ..defaults import STAGES
from ..models import Deal, LostReason, Order, OrderFailureReason, Pipeline, Stage, StageChange
from ..rollups import INCOME_STATES

ZERO = Decimal("0")
CENT = Decimal("0.01")
# Sums of amount × probability keep 2 + 0 decimals; the "/ 100" is done on the grouped rows.
WEIGHTED_FIELD = DecimalField(max_digits=24, decimal_places=2)

NO_REASON = _("No reason given")
NO_DATE = _("No expected close date")


# --- Helpers -----------------------------------------------------------------------------------


def deals(user):
    return Deal.objects.restrict(user, access.VIEW)


def orders(user):
    return Order.objects.restrict(user, access.VIEW)


def add_amount(amounts, currency, value):
    amounts[currency] = amounts.get(currency, ZERO) + (value or ZERO)


def sort_currencies(currencies):
    """The default currency first, the others alphabetically."""
    default = settings.KLIENTURA_CURRENCY
    return sorted(set(currencies), key=lambda c: (c != default, c))


def share(part, whole):
    """``part`` as a percentage of ``whole`` with one decimal, or None when there is no whole."""
    if not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def employees(ids):
    """Users by id in the User model's order (last name, first name, username)."""
    ids = {pk for pk in ids if pk is not None}
    return list(get_user_model().objects.filter(pk__in=ids).order_by("last_name", "first_name", "username", "pk"))


def month_trunc(expression):
    """The local first day of the month of a date or datetime (TIME_ZONE applies to datetimes)."""
    return TruncMonth(expression, output_field=DateField())


def date_range_q(period, field="date"):
    return Q(**{f"{field}__gte": period.date_from, f"{field}__lte": period.date_to})


# --- 1. Funnel ---------------------------------------------------------------------------------


@dataclass
class FunnelRow:
    stage: Stage
    count: int = 0  # deals now in the stage
    amounts: dict = field(default_factory=dict)
    reached: int | None = None  # None for lost stages: they are not a step of the funnel
    conversion: float | None = None  # % of the deals that reached this stage and the next one
    avg_days: float | None = None  # average completed stay in the stage
    stays: int = 0

    @property
    def in_funnel(self):
        return self.stage.kind != Stage.Kind.LOST


@dataclass
class Funnel:
    rows: list
    currencies: list
    count: int
    amounts: dict
    won_conversion: float | None  # % of the deals that reached the first stage and were won


def pipeline_stage_ids(pipeline):
    """Ids of every stage of ``pipeline``, trashed ones too (a deal may still be in one)."""
    return list(Stage.all_objects.filter(pipeline=pipeline).values_list("pk", flat=True))


def funnel_deals(user, pipeline, period, responsible=(), stage_ids=None):
    # An id list instead of a join to the stages for every deal row.
    stage_ids = pipeline_stage_ids(pipeline) if stage_ids is None else stage_ids
    qs = deals(user).filter(period.q("created_at"), stage__in=stage_ids)
    return rollups.of_responsible(qs, responsible)


def reached_ids(order, stages):
    """Ids of the non-lost ``stages`` at ``order`` or further: a deal whose maintained
    ``furthest_stage`` (sales.services.aggregates) is one of them has reached ``order``."""
    return [s.pk for s in stages if s.order >= order and s.kind != Stage.Kind.LOST]


def stage_stays(pipeline, deal_qs):
    """{stage id: (average stay, number of stays)} over the completed stays of the deals."""
    stays = (StageChange.objects.filter(deal__in=deal_qs.values("pk"), to_stage__pipeline=pipeline)
             .filter(left_at__isnull=False)
             .annotate(stay=ExpressionWrapper(F("left_at") - F("moved_at"), output_field=DurationField()))
             .order_by().values("to_stage").annotate(avg=Avg("stay"), n=Count("pk")))
    return {s["to_stage"]: (s["avg"], s["n"]) for s in stays}


def funnel(user, pipeline, period, *, responsible=()):
    every_stage = list(Stage.all_objects.filter(pipeline=pipeline).order_by("order", "pk"))  # trashed too
    qs = funnel_deals(user, pipeline, period, responsible, stage_ids=[s.pk for s in every_stage])
    stages = [s for s in every_stage if s.deleted_at is None]
    rows = {s.pk: FunnelRow(stage=s) for s in stages}
    total, amounts, furthest = 0, {}, {}
    # One pass over the deals: by stage and currency, and by the furthest stage for "reached".
    for g in qs.order_by().values("stage", "currency", "furthest_stage").annotate(n=Count("pk"), s=Sum("amount")):
        row = rows[g["stage"]]
        row.count += g["n"]
        total += g["n"]
        add_amount(row.amounts, g["currency"], g["s"])
        add_amount(amounts, g["currency"], g["s"])
        furthest[g["furthest_stage"]] = furthest.get(g["furthest_stage"], 0) + g["n"]

    chain = [rows[s.pk] for s in stages if s.kind != Stage.Kind.LOST]
    for row in chain:
        row.reached = sum(furthest.get(pk, 0) for pk in reached_ids(row.stage.order, every_stage))
    for row, following in zip(chain, chain[1:], strict=False):
        row.conversion = share(following.reached, row.reached)

    for stage_id, (avg, n) in stage_stays(pipeline, qs).items():
        if stage_id in rows and avg is not None:
            rows[stage_id].avg_days = round(avg.total_seconds() / 86400, 1)
            rows[stage_id].stays = n

    won = sum(r.count for r in rows.values() if r.stage.kind == Stage.Kind.WON)
    return Funnel(rows=list(rows.values()), currencies=sort_currencies(amounts), count=total, amounts=amounts,
                  won_conversion=share(won, chain[0].reached) if chain else None)


# --- 2. Forecast -------------------------------------------------------------------------------


@dataclass
class ForecastRow:
    month: datetime.date | None  # None: no expected close date
    currency: str
    count: int
    amount: Decimal
    weighted: Decimal  # Σ amount × probability / 100


@dataclass
class Forecast:
    rows: list
    currencies: list
    totals: dict  # currency -> ForecastRow with month None


def forecast(user, *, period=None, pipeline=None, responsible=()):
    """Open deals by expected close month and currency."""
    qs = rollups.of_responsible(deals(user).filter(stage__kind=Stage.Kind.OPEN), responsible)
    if pipeline is not None:
        qs = qs.filter(stage__pipeline=pipeline)
    if period is not None:
        qs = qs.filter(date_range_q(period, "expected_close_date"))
    probability = Coalesce("probability", "stage__probability")
    grouped = (qs.annotate(month=month_trunc("expected_close_date")).order_by()
               .values("month", "currency")
               .annotate(n=Count("pk"), total=Sum("amount"),
                         weighted=Sum(F("amount") * probability, output_field=WEIGHTED_FIELD)))
    rows, totals = [], {}
    for g in grouped:
        weighted = ((g["weighted"] or ZERO) / 100).quantize(CENT, ROUND_HALF_UP)
        rows.append(ForecastRow(g["month"], g["currency"], g["n"], g["total"] or ZERO, weighted))
        total = totals.setdefault(g["currency"], ForecastRow(None, g["currency"], 0, ZERO, ZERO))
        total.count += g["n"]
        total.amount += g["total"] or ZERO
        total.weighted += weighted
    currencies = sort_currencies(totals)
    rows.sort(key=lambda r: (r.month is None, r.month or datetime.date.min, currencies.index(r.currency)))
    return Forecast(rows=rows, currencies=currencies, totals={c: totals[c] for c in currencies})


# --- 3. Won / lost -----------------------------------------------------------------------------


@dataclass
class WonLostRow:
    label: str
    user_id: int | None = None
    won: int = 0
    won_amounts: dict = field(default_factory=dict)
    lost: int = 0
    lost_amounts: dict = field(default_factory=dict)

    @property
    def win_rate(self):
        return share(self.won, self.won + self.lost)


@dataclass
class ReasonRow:
    label: str
    count: int = 0
    amounts: dict = field(default_factory=dict)
    share: float | None = None


@dataclass
class WonLost:
    rows: list
    total: WonLostRow
    reasons: list
    currencies: list


def closed_deals(user, period, *, pipeline=None, responsible=()):
    qs = deals(user).filter(period.q("closed_at"), stage__kind__in=[Stage.Kind.WON, Stage.Kind.LOST])
    if pipeline is not None:
        qs = qs.filter(stage__pipeline=pipeline)
    return rollups.of_responsible(qs, responsible)


def won_lost(user, period, **filters):
    qs = closed_deals(user, period, **filters)
    grouped = list(qs.order_by().values("responsible", "stage__kind", "currency")
                   .annotate(n=Count("pk"), s=Sum("amount")))
    by_user = {u.pk: WonLostRow(str(u), u.pk) for u in employees(g["responsible"] for g in grouped)}
    total, currencies = WonLostRow(str(_("Total"))), set()
    for g in grouped:
        currencies.add(g["currency"])
        for row in (by_user[g["responsible"]], total):
            if g["stage__kind"] == Stage.Kind.WON:
                row.won += g["n"]
                add_amount(row.won_amounts, g["currency"], g["s"])
            else:
                row.lost += g["n"]
                add_amount(row.lost_amounts, g["currency"], g["s"])

    by_reason = list(qs.filter(stage__kind=Stage.Kind.LOST).order_by().values("lost_reason", "currency")
                     .annotate(n=Count("pk"), s=Sum("amount")))
    names = LostReason.all_objects.in_bulk({g["lost_reason"] for g in by_reason} - {None})
    reasons = {}
    for g in by_reason:
        row = reasons.setdefault(g["lost_reason"], ReasonRow(str(names[g["lost_reason"]]) if g["lost_reason"]
                                                             else str(NO_REASON)))
        row.count += g["n"]
        add_amount(row.amounts, g["currency"], g["s"])
    for row in reasons.values():
        row.share = share(row.count, total.lost)
    ordered = sorted(reasons.items(), key=lambda item: (item[0] is None, *(
        (names[item[0]].order, names[item[0]].name.lower()) if item[0] else (0, ""))))
    return WonLost(rows=list(by_user.values()), total=total, reasons=[r for _pk, r in ordered],
                   currencies=sort_currencies(currencies))


# --- 4. Order failures -------------------------------------------------------------------------


@dataclass
class Failures:
    reasons: list  # ReasonRow
    currencies: list
    failed: int
    failed_amounts: dict
    orders: int  # all orders in the period (the share's base)

    @property
    def failed_share(self):
        return share(self.failed, self.orders)


def order_failures(user, period, *, responsible=()):
    """Orders dated in the period that fell through, by failure reason and currency."""
    qs = rollups.of_responsible(orders(user).filter(date_range_q(period)), responsible)
    counts = qs.aggregate(n=Count("pk"), failed=Count("pk", filter=Q(state=Order.State.FAILED)))
    grouped = list(qs.filter(state=Order.State.FAILED).order_by().values("failure_reason", "currency")
                   .annotate(n=Count("pk"), s=Sum("amount")))
    names = OrderFailureReason.all_objects.in_bulk({g["failure_reason"] for g in grouped} - {None})
    reasons, amounts = {}, {}
    for g in grouped:
        pk = g["failure_reason"]
        row = reasons.setdefault(pk, ReasonRow(str(names[pk]) if pk else str(NO_REASON)))
        row.count += g["n"]
        add_amount(row.amounts, g["currency"], g["s"])
        add_amount(amounts, g["currency"], g["s"])
    for row in reasons.values():
        row.share = share(row.count, counts["failed"])
    ordered = sorted(reasons.items(), key=lambda item: (item[0] is None, *(
        (names[item[0]].order, names[item[0]].name.lower()) if item[0] else (0, ""))))
    return Failures(reasons=[r for _pk, r in ordered], currencies=sort_currencies(amounts),
                    failed=counts["failed"], failed_amounts=amounts, orders=counts["n"])


# --- 5. New client interests and proposals by employee ------------------------------------------


def default_proposal_stage(pipeline=None):
    """The default pipeline's "proposal" stage: the seed's one by name, else the second open stage."""
    pipeline = pipeline or Pipeline.default()
    if pipeline is None:
        return None
    open_stages = list(pipeline.stages.filter(kind=Stage.Kind.OPEN).order_by("order", "pk"))
    names = {STAGES[1][0].lower(), "proposal"}
    named = [s for s in open_stages if s.name.lower() in names]
    if named:
        return named[0]
    return open_stages[1] if len(open_stages) > 1 else next(iter(open_stages), None)


def further_stages(proposal_stage):
    """Ids of the proposal stage's pipeline's non-lost stages at the proposal stage or further."""
    return [s.pk for s in Stage.all_objects.filter(pipeline=proposal_stage.pipeline_id)
            if s.order >= proposal_stage.order and s.kind != Stage.Kind.LOST]


def proposal_entries(pipeline, proposal_stage):
    """StageChanges that first bring a deal to the proposal stage or a later non-lost one."""
    further = further_stages(proposal_stage)
    # A move into one of them whose earlier moves had not reached any (the maintained
    # StageChange.furthest_before, sales.services.aggregates).
    return StageChange.objects.filter(to_stage__in=further).exclude(furthest_before__in=further)


@dataclass
class InterestRow:
    """One employee: per month (first day) new deals, proposals and proposal sums per currency."""

    label: str
    user_id: int | None = None
    interests: dict = field(default_factory=dict)  # month -> count
    proposals: dict = field(default_factory=dict)  # month -> count
    sums: dict = field(default_factory=dict)  # currency -> {month -> amount}

    def add(self, kind, month, value, currency=None):
        if kind == "sum":
            cells = self.sums.setdefault(currency, {})
            cells[month] = cells.get(month, ZERO) + (value or ZERO)
        else:
            cells = getattr(self, kind)
            cells[month] = cells.get(month, 0) + value

    def lines(self, months, currencies):
        """[(measure label, currency or "", [cells per month], total)] — the rows of the table."""
        def line(label, cells, zero, currency=""):
            values = [cells.get(m, zero) for m in months]
            return (label, currency, values, sum(values, zero))
        result = [line(str(_("New client interests")), self.interests, 0),
                  line(str(_("Proposals")), self.proposals, 0)]
        for currency in currencies:
            result.append(line(str(_("Proposal sum")), self.sums.get(currency, {}), ZERO, currency))
        return result


@dataclass
class Interests:
    months: list
    rows: list
    total: InterestRow
    currencies: list
    proposal_stage: Stage


def interests(user, period, proposal_stage, *, responsible=()):
    """New deals created per month and deals that reached the proposal stage per month, by employee.

    Both count deals now in the proposal stage's pipeline and group them by their responsible.
    """
    stages = list(Stage.all_objects.filter(pipeline=proposal_stage.pipeline_id).values_list("pk", flat=True))
    if rollups.reads_totals(user):  # from the day rollups DealDay and MoveDay
        created = rollups.created_deals(user, stages, period, responsible)
        reached = rollups.first_entries(user, further_stages(proposal_stage), stages, period, responsible)
    else:
        created, reached = interests_counted(user, period, proposal_stage, stages, responsible)
    users = employees([g["responsible"] for g in created] + [g["responsible"] for g in reached])
    rows = {u.pk: InterestRow(str(u), u.pk) for u in users}
    total = InterestRow(str(_("Total")))
    for g in created:
        for row in (rows[g["responsible"]], total):
            row.add("interests", g["month"], g["n"])
    for g in reached:
        for row in (rows[g["responsible"]], total):
            row.add("proposals", g["month"], g["n"])
            row.add("sum", g["month"], g["s"], g["currency"])
    return Interests(months=period.months(), rows=list(rows.values()), total=total,
                     currencies=sort_currencies(total.sums), proposal_stage=proposal_stage)


def interests_counted(user, period, proposal_stage, stages, responsible):
    """``interests``' groups counted from the deals and their moves (any access rule)."""
    qs = rollups.of_responsible(deals(user).filter(stage__in=stages), responsible)
    created = (qs.filter(period.q("created_at")).annotate(month=month_trunc("created_at")).order_by()
               .values("responsible", "month").annotate(n=Count("pk")))
    reached = (proposal_entries(proposal_stage.pipeline, proposal_stage)
               .filter(period.q("moved_at"), deal__in=qs.values("pk"))
               .annotate(month=month_trunc("moved_at")).order_by()
               .values("month", responsible=F("deal__responsible"), currency=F("deal__currency"))
               .annotate(n=Count("pk"), s=Sum("deal__amount")))
    return list(created), list(reached)


# --- 6. Profitability --------------------------------------------------------------------------

# Orders that bring income: in progress and completed (drafts are not agreed yet, failed ones fell
# through): rollups.INCOME_STATES.


def margin(income, cost):
    return share(income - cost, income) if income else None


def income_orders(user, period, *, responsible=(), client=""):
    qs = rollups.of_responsible(orders(user).filter(date_range_q(period), state__in=INCOME_STATES), responsible)
    if client:
        qs = qs.filter(search_q(client, prefix="counterparty__"))
    return qs


def profitability_orders(user, period, **filters):
    """Each order with income (its amount), cost (Σ line quantity × unit cost) and profit."""
    return (income_orders(user, period, **filters).select_related("counterparty", "responsible")
            .annotate(profit=F("amount") - F("cost"))
            .order_by("counterparty__name", "counterparty_id", "currency", "date", "pk"))


@dataclass
class ClientProfit:
    counterparty_id: int | None
    name: str
    currency: str
    orders: int
    income: Decimal
    cost: Decimal

    @property
    def profit(self):
        return self.income - self.cost

    @property
    def margin(self):
        return margin(self.income, self.cost)


def profitability_clients(user, period, **filters):
    """The income orders per client and currency, by name: a queryset of grouped rows (the page
    reads its first lines, the export all of them; ``client_profit`` makes each a ClientProfit)."""
    return (income_orders(user, period, **filters).order_by()
            .values("counterparty", "counterparty__name", "currency")
            .annotate(n=Count("pk"), income=Sum("amount"), cost=Sum("cost"))
            .order_by("counterparty__name", "counterparty", "currency"))


class ClientProfits:
    """``profitability_clients`` for a page and for an export: ``head(n)`` takes the first clients
    by name with income orders from ``clients`` (``WalkedClients`` for whoever sees every client,
    ``ManagerClients`` for a sales manager) and groups only theirs — a year's income orders touch a
    fifth of a million clients: grouping them all to show fifty took 0.7 s; iterating groups them
    all."""

    def __init__(self, user, period, clients=None, **filters):
        self.user, self.period, self.filters, self.clients = user, period, filters, clients

    def grouped(self):
        return profitability_clients(self.user, self.period, **self.filters)

    def __iter__(self):
        return self.grouped().iterator(chunk_size=2000)

    def head(self, n):
        if self.clients is None:
            return list(self.grouped()[:n])
        ids = [pk for pk, _count in islice(self.clients.counts, n)]
        return list(self.grouped().filter(counterparty__in=ids)[:n])


def income_in(period, responsible=()):
    """The orders with income dated in ``period``, of the ``responsible`` (all if empty), unscoped."""
    return rollups.of_responsible(Order.objects.filter(date_range_q(period), state__in=INCOME_STATES), responsible)


def clients_with_income(user, period, responsible=(), client=""):
    """The clients with income orders in name order with their number (``ManagerClients`` or
    ``WalkedClients``), or None where neither reads ``user``'s scope."""
    for kind in (ManagerClients, WalkedClients):
        if kind.serves(user):
            return kind(user, period, responsible, client)
    return None


class BatchedClients:
    """Clients with income orders in the period, in name order, with their number of those
    orders: read ``BATCH`` at a time as far as a page needs and kept for the next reader (the
    table by client, then the one by order)."""

    BATCH = 200

    def __init__(self, user, period, responsible=(), client=""):
        self.user, self.period, self.responsible, self.client = user, period, responsible, client
        self.read, self.done, self.after = [], False, None

    @property
    def counts(self):
        """(client id, orders) in the database's name order (the orders table sorts the same)."""
        i = 0
        while i < len(self.read) or not self.done:
            if i == len(self.read):
                self.read_batch()
                continue
            yield self.read[i]
            i += 1

    def read_batch(self):
        raise NotImplementedError


class ManagerClients(BatchedClients):
    """A sales manager's clients (``BATCH`` above 3): ``ClientDay``'s rows of their orders and of their clients' (each
    walked in name order by its index), plus the orders of the clients shared with them (few,
    counted live). A client found in several parts comes as consecutive rows, summed here."""

    @classmethod
    def serves(cls, user):
        return access.rule_for(user)[0] == "own" and access.can(user, access.VIEW, Order)

    def read_batch(self):
        from ..models import ClientDay

        days = rollups.of_responsible(ClientDay.objects.filter(date_range_q(self.period)), self.responsible)
        shared = CounterpartyShare.objects.filter(user=self.user).values("counterparty_id")
        others = (income_in(self.period, self.responsible)
                  .filter(counterparty__in=shared, counterparty__deleted_at__isnull=True)
                  .exclude(counterparty__main_manager=self.user).exclude(responsible=self.user))
        parts = [(days.filter(responsible=self.user), "name", Sum("count")),
                 (days.filter(client_manager=self.user.pk).exclude(responsible=self.user), "name", Sum("count")),
                 (others, "counterparty__name", Count("pk"))]
        grouped = [self.grouped(qs.filter(search_q(self.client, "counterparty__")), name, count)
                   for qs, name, count in parts]
        with serial():  # a batch from each index: workers cost more than they save
            rows = list(grouped[0].union(*grouped[1:], all=True).order_by("name", "counterparty_id")[:self.BATCH])
        self.done = len(rows) < self.BATCH
        if not self.done:  # the last client's rows (one per part) may go on in the next batch:
            last = rows[-1][1]  # read it again there (a batch holds more than 3 rows)
            while rows[-1][1] == last:
                self.after = rows.pop()[:2]
        for _name, pk, n in rows:
            if self.read and self.read[-1][0] == pk:
                self.read[-1] = (pk, self.read[-1][1] + n)
            elif n:
                self.read.append((pk, n))

    def grouped(self, qs, name, count):
        """(client id, name, orders) of ``qs``' rows from where the last batch stopped."""
        if self.after:
            after, pk = self.after
            qs = qs.filter(Q(**{f"{name}__gt": after}) | Q(**{name: after, "counterparty_id__gte": pk}))
        # Grouped by name first, in the order each part's index walks.
        return qs.order_by().values(name, "counterparty_id").annotate(n=count).values_list(name, "counterparty_id", "n")


class WalkedClients(BatchedClients):
    """Every client with income orders in the period, walked down the clients' name index, for
    whoever sees every client."""

    @classmethod
    def serves(cls, user):
        return access.rule_for(user)[0] == "all" and access.can(user, access.VIEW, Order)

    def read_batch(self):
        number = (income_in(self.period, self.responsible).filter(counterparty=OuterRef("pk")).order_by()
                  .values("counterparty").annotate(n=Count("pk")).values("n"))
        clients = (Counterparty.objects.filter(search_q(self.client)).annotate(n=Subquery(number))
                   .filter(n__gt=0).order_by("name", "pk"))
        if self.after:
            name, pk = self.after
            clients = clients.filter(Q(name__gt=name) | Q(name=name, pk__gt=pk))
        rows = list(clients.values_list("pk", "name", "n")[:self.BATCH])
        self.read += [(pk, n) for pk, _name, n in rows]
        self.done = len(rows) < self.BATCH
        if rows:
            self.after = rows[-1][1], rows[-1][0]


class ClientOrders:
    """``profitability_orders`` as the pager reads them (by client name): a page's slice picks the
    clients whose orders it holds from the clients' counts (``ManagerClients``, ``WalkedClients``)
    and reads only theirs — sorting a year's orders by client name to show a hundred took a
    second on SQLite."""

    def __init__(self, orders, clients):
        self.orders, self.clients = orders, clients

    def __iter__(self):  # the export: every order
        return self.orders.iterator(chunk_size=2000)

    def __getitem__(self, key):
        start, stop = key.start or 0, key.stop
        ids, seen, skip = [], 0, 0
        for pk, n in self.clients.counts:
            if seen + n <= start:
                seen += n
                continue
            if not ids:
                skip = start - seen
            ids.append(pk)
            seen += n
            if stop is not None and seen >= stop:
                break
        page = self.orders.filter(counterparty__in=ids)
        return list(page[skip:skip + (stop - start)] if stop is not None else page[skip:])


def client_profit(grouped):
    return ClientProfit(grouped["counterparty"], grouped["counterparty__name"], grouped["currency"], grouped["n"],
                        grouped["income"] or ZERO, grouped["cost"] or ZERO)


def reads_profit(user, client=""):
    """Whether the report's totals and sales by product come from the day rollups."""
    return not client and rollups.reads_profit(user)


def profit_months(user, period, **filters):
    """[{currency, month, n, income, cost}] of the income orders: the day rollup, or one grouped query."""
    if reads_profit(user, filters.get("client")):
        with serial():  # a few thousand rollup rows and the shared clients' orders: workers cost more
            return rollups.profit(user, period.date_from, period.date_to, filters.get("responsible") or (),
                                  monthly=True)
    return list(income_orders(user, period, **filters).annotate(month=TruncMonth("date", output_field=DateField()))
                .order_by().values("currency", "month").annotate(n=Count("pk"), income=Sum("amount"), cost=Sum("cost")))


def profitability_totals(months):
    """[ClientProfit] per currency of ``profit_months``' rows."""
    totals = {}
    for g in months:
        total = totals.setdefault(g["currency"], ClientProfit(None, str(_("Total")), g["currency"], 0, ZERO, ZERO))
        total.orders += g["n"]
        total.income += g["income"] or ZERO
        total.cost += g["cost"] or ZERO
    return [totals[c] for c in sort_currencies(totals)]


def profit_by_month(months, currency):
    """[(month, income, cost)] of ``profit_months``' rows in ``currency``, month by month."""
    return sorted((g["month"], g["income"] or ZERO, g["cost"] or ZERO) for g in months if g["currency"] == currency)


@dataclass
class ProductSales:
    product_id: int | None  # None: a free-text line (grouped by its name)
    name: str
    article: str
    currency: str
    quantity: Decimal
    income: Decimal
    cost: Decimal

    @property
    def profit(self):
        return self.income - self.cost

    @property
    def margin(self):
        return margin(self.income, self.cost)


def sales_by_product(user, period, **filters):
    """[ProductSales] of the lines of the income orders: per catalogue product and currency, free-text
    lines per name; largest income first. One grouped query."""
    from ..models import OrderLine, Product

    if reads_profit(user, filters.get("client")):
        with serial():
            grouped = rollups.product_sales(user, period.date_from, period.date_to, filters.get("responsible") or ())
    else:
        lines = OrderLine.objects.filter(order__in=income_orders(user, period, **filters).values("pk"))
        grouped = rollups.product_lines(lines)
    catalogue = Product.all_objects.in_bulk({g["product_id"] for g in grouped if g["product_id"]})
    cent = Decimal("0.01")
    rows = []
    for g in grouped:
        product = catalogue.get(g["product_id"])
        rows.append(ProductSales(product.pk if product else None, product.name if product else g["free_name"],
                                 product.article if product else "", g["currency"], g["sold"] or ZERO,
                                 Decimal(g["sold_income"] or 0).quantize(cent, ROUND_HALF_UP),
                                 Decimal(g["sold_cost"] or 0).quantize(cent, ROUND_HALF_UP)))
    rows.sort(key=lambda r: (r.currency, -r.income, r.name.lower()))
    return rows
