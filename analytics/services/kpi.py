"""Manager performance (seed 000) and the head's ranking: definitions in docs/analytics-kpi.md.

Every figure comes from a handful of grouped queries for all managers at once; Python only loops
over the (few) managers and the (at most 16) stage transitions per manager.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, ExpressionWrapper, F, FilteredRelation, Q, Sum
from django.utils import timezone

from activities.models import Interaction
from clients.models import ContactInfo, ContactKind, ContactPerson, Counterparty
from core import access
from core.dashboard import month_start
from core.reports import Period
from sales.models import Order, Payment, PlanFact
from sales.services.sold import AMOUNT, SALE, sale_shipments

from ..models import STAGE_RANK, AnalysisRun, AnalysisSettings, Indicator, SalesPlan, Stage

ADDITIVE = ("contacts", "stage_ups", "stage_downs", "orders", "revenue", "profit", "payments")
RATIOS = ("completeness", "retention")
MONEY = ("revenue", "profit", "payments")
PHONES = (ContactKind.PHONE, ContactKind.MOBILE)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def last_full_month(today=None):
    """The reports' default period: the calendar month before today's."""
    today = today or timezone.localdate()
    first = month_start(today, -1)
    return Period(first, month_start(today) - datetime.timedelta(days=1))


def previous_period(period):
    """The period of the same length immediately before ``period``."""
    days = (period.date_to - period.date_from).days + 1
    end = period.date_from - datetime.timedelta(days=1)
    return Period(end - datetime.timedelta(days=days - 1), end)


def can_see_everyone(user):
    """Heads (and administrators) see every manager; anyone else only their own line."""
    return access.can_assign(user)


def percent(part, whole):
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(CENT)


def _money(value):
    return Decimal(value or 0).quantize(CENT)


# --- Raw figures ---------------------------------------------------------------------------------

def live_clients():
    return Counterparty.objects.filter(main_manager__isnull=False)


def completeness_counts():
    """{manager id: (clients, complete clients)} over live counterparties (now)."""
    info = ContactInfo.objects.filter(Q(contact_person__isnull=True) | Q(contact_person__deleted_at__isnull=True))
    phone = info.filter(kind__in=PHONES).values("counterparty_id")
    email = info.filter(kind=ContactKind.EMAIL).values("counterparty_id")
    person = ContactPerson.objects.values("counterparty_id")
    clients = dict(live_clients().values_list("main_manager").annotate(n=Count("pk"))
                   .values_list("main_manager", "n").order_by())
    complete = dict(live_clients().filter(pk__in=phone).filter(pk__in=email).filter(pk__in=person)
                    .values_list("main_manager").annotate(n=Count("pk")).values_list("main_manager", "n").order_by())
    return {m: (n, complete.get(m, 0)) for m, n in clients.items()}


def contacts_done(period):
    """{responsible id: done interactions started in the period} (live, client live)."""
    rows = (Interaction.objects.filter(period.q("start"), state=Interaction.State.DONE,
                                       counterparty__deleted_at__isnull=True)
            .values_list("responsible").annotate(n=Count("pk")).values_list("responsible", "n").order_by())
    return dict(rows)


def run_at(day):
    """The last finished run with analysis_date ≤ day, or None."""
    return (AnalysisRun.objects.filter(status=AnalysisRun.Status.DONE, analysis_date__lte=day)
            .order_by("-analysis_date", "-finished_at", "-id").first())


def stage_changes(period):
    """({manager id: {"ups", "downs", "lost", "clients"}}, start run, end run)."""
    start, end = run_at(period.date_from), run_at(period.date_to)
    result = {}
    if end is None:
        return result, start, end
    qs = live_clients().annotate(end_row=FilteredRelation("analysis_rows", condition=Q(analysis_rows__run=end)))
    fields = ["main_manager", "end_row__stage_effective"]
    if start is not None:
        qs = qs.annotate(start_row=FilteredRelation("analysis_rows", condition=Q(analysis_rows__run=start)))
        fields.append("start_row__stage_effective")
    rows = qs.filter(end_row__isnull=False).values(*fields).annotate(n=Count("pk")).order_by()
    for row in rows:
        figures = result.setdefault(row["main_manager"], {"ups": 0, "downs": 0, "lost": 0, "clients": 0})
        now = row["end_row__stage_effective"]
        before = row.get("start_row__stage_effective") or Stage.POTENTIAL  # missing: from potential
        figures["clients"] += row["n"]
        if now == Stage.LOST:
            figures["lost"] += row["n"]
        if STAGE_RANK[now] > STAGE_RANK[before]:
            figures["ups"] += row["n"]
        elif STAGE_RANK[now] < STAGE_RANK[before]:
            figures["downs"] += row["n"]
    return result, start, end


def completed_orders(period):
    rows = (Order.objects.filter(state=Order.State.COMPLETED, date__gte=period.date_from, date__lte=period.date_to,
                                 counterparty__deleted_at__isnull=True, counterparty__main_manager__isnull=False)
            .values_list("counterparty__main_manager").annotate(n=Count("pk"))
            .values_list("counterparty__main_manager", "n").order_by())
    return dict(rows)


def sales_lines(currency):
    """Actual shipments counted as sales: live shipment, line, order and client; order neither a
    draft nor fell through; in ``currency``."""
    return sale_shipments().filter(order__currency=currency)


PROFIT = ExpressionWrapper(F("quantity") * (F("line__price") - F("line__cost")), output_field=AMOUNT)


def sales(period, currency):
    """{manager id: (revenue, profit)} of actual shipments dated in the period."""
    rows = (sales_lines(currency).filter(date__gte=period.date_from, date__lte=period.date_to,
                                         order__counterparty__main_manager__isnull=False)
            .values("order__counterparty__main_manager").annotate(revenue=Sum(SALE), profit=Sum(PROFIT)).order_by())
    return {r["order__counterparty__main_manager"]: (_money(r["revenue"]), _money(r["profit"])) for r in rows}


def payments(period, currency):
    rows = (Payment.objects.filter(kind=PlanFact.ACTUAL, date__gte=period.date_from, date__lte=period.date_to,
                                   order__deleted_at__isnull=True, order__currency=currency,
                                   order__counterparty__deleted_at__isnull=True,
                                   order__counterparty__main_manager__isnull=False)
            .values("order__counterparty__main_manager").annotate(total=Sum("amount")).order_by())
    return {r["order__counterparty__main_manager"]: _money(r["total"]) for r in rows}


def left_out_lines(period, currency):
    """Actual shipment lines of the period in other currencies (a note on the reports)."""
    return (sale_shipments().filter(date__gte=period.date_from, date__lte=period.date_to)
            .exclude(order__currency=currency).count())


# --- Indicators, score and ranking -----------------------------------------------------------------

@dataclass
class ManagerRow:
    manager: object
    values: dict = field(default_factory=dict)  # indicator → value (None: no data)
    shares: dict = field(default_factory=dict)  # indicator → % of the company total / company ratio
    normalised: dict = field(default_factory=dict)
    clients: int = 0
    score: Decimal = Decimal(0)
    place: int = 0
    previous_place: int | None = None

    @property
    def name(self):
        return str(self.manager)

    @property
    def change(self):
        """Places gained since the previous period (positive: up); None: not ranked then."""
        return None if self.previous_place is None else self.previous_place - self.place

    @property
    def change_text(self):
        if self.previous_place is None:
            return "new"
        change = self.change
        return "=" if change == 0 else (f"↑{change}" if change > 0 else f"↓{-change}")


@dataclass
class Ranking:
    period: Period
    currency: str
    weights: dict
    rows: list  # ranked, every manager
    company: dict  # indicator → company total (additive) or ratio (completeness, retention)
    start_run: object = None
    end_run: object = None
    left_out: int = 0
    previous: object = None  # the Ranking of the previous period (its own previous not computed)

    def row_of(self, user):
        return next((r for r in self.rows if r.manager.pk == getattr(user, "pk", None)), None)

    def visible_rows(self, user):
        if can_see_everyone(user):
            return list(self.rows)
        row = self.row_of(user)
        return [row] if row else []


def managers(period, ids):
    """Main managers of live clients, or with a plan for a month of the period, plus ``ids``."""
    months = SalesPlan.objects.filter(month__gte=month_start(period.date_from), month__lte=period.date_to)
    wanted = set(ids) | set(live_clients().values_list("main_manager", flat=True).distinct()) \
        | set(months.values_list("manager", flat=True))
    return list(get_user_model().objects.filter(pk__in=wanted))


def rank(period, currency=None, weights=None, with_previous=True):
    """Every manager's indicators, score and place for ``period`` (and their place before)."""
    conf = AnalysisSettings.load()
    currency = currency or conf.analysis_currency
    weights = conf.weights() if weights is None else {k: Decimal(str(v)) for k, v in weights.items() if v}
    complete = completeness_counts()
    contacts = contacts_done(period)
    stages, start_run, end_run = stage_changes(period)
    orders = completed_orders(period)
    money = sales(period, currency)
    paid = payments(period, currency)
    users = managers(period, set(complete) | set(stages) | set(money) | set(paid) | set(orders))
    rows = []
    for user in users:
        clients, full = complete.get(user.pk, (0, 0))
        stage = stages.get(user.pk, {})
        revenue, profit = money.get(user.pk, (Decimal("0.00"), Decimal("0.00")))
        row = ManagerRow(user, clients=clients)
        row.values = {
            "completeness": percent(full, clients), "contacts": contacts.get(user.pk, 0),
            "stage_ups": stage.get("ups", 0), "stage_downs": stage.get("downs", 0),
            "retention": percent(stage.get("lost", 0), stage.get("clients", 0)),
            "orders": orders.get(user.pk, 0), "revenue": revenue, "profit": profit,
            "payments": paid.get(user.pk, Decimal("0.00")),
        }
        row._counts = {"complete": full, "clients": clients, "lost": stage.get("lost", 0),
                       "run_clients": stage.get("clients", 0)}
        rows.append(row)
    company = {code: sum((r.values[code] for r in rows), Decimal(0) if code in MONEY else 0) for code in ADDITIVE}
    company["completeness"] = percent(sum(r._counts["complete"] for r in rows), sum(r._counts["clients"] for r in rows))
    company["retention"] = percent(sum(r._counts["lost"] for r in rows), sum(r._counts["run_clients"] for r in rows))
    total_weight = sum(abs(w) for w in weights.values())
    for row in rows:
        for code in Indicator.values:
            value = row.values[code]
            if code in ADDITIVE:
                row.shares[code] = percent(value, company[code]) if company[code] else None
                row.normalised[code] = row.shares[code] or Decimal(0)
            else:
                row.shares[code] = company[code]
                row.normalised[code] = Decimal(value or 0)
        score = sum((w * row.normalised[code] for code, w in weights.items()), Decimal(0))
        row.score = (score / total_weight).quantize(CENT) if total_weight else Decimal("0.00")
    rows.sort(key=lambda r: (-r.score, r.name.casefold(), r.manager.pk))
    for place, row in enumerate(rows, 1):
        row.place = place
    ranking = Ranking(period, currency, weights, rows, company, start_run, end_run, left_out_lines(period, currency))
    if with_previous:
        ranking.previous = rank(previous_period(period), currency, weights, with_previous=False)
        before = {r.manager.pk: r.place for r in ranking.previous.rows}
        for row in rows:
            row.previous_place = before.get(row.manager.pk)
    return ranking
