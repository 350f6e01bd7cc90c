"""Sales plans: actual vs plan per manager and month (docs/analytics-kpi.md).

Actual revenue = sales as in the manager indicators (actual shipments of the manager's clients,
in the analysis currency); new clients = live counterparties created in the month (local date)
with that main manager; contacts = done interactions the manager is responsible for, started in
the month. Three grouped queries whatever the number of managers and months.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import Interaction
from clients.models import Counterparty
from core.dashboard import month_start
from core.reports import Period

from ..models import AnalysisSettings, SalesPlan
from .kpi import SALE, percent, sales_lines

METRICS = ("revenue", "new_clients", "contacts")


def months_period(months):
    """The whole months: from the first day of the first to the last day of the last."""
    return Period(months[0], month_start(months[-1], 1) - datetime.timedelta(days=1))


def _month(value):
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


def actuals(months, currency, manager_ids=None):
    """{(manager id, month): {"revenue", "new_clients", "contacts"}} over the whole ``months``."""
    if not months:
        return {}
    period = months_period(months)
    result = {}

    def put(manager, month, key, value):
        entry = result.setdefault((manager, _month(month)), {"revenue": Decimal("0.00"), "new_clients": 0,
                                                             "contacts": 0})
        entry[key] += value

    shipments = sales_lines(currency).filter(date__gte=period.date_from, date__lte=period.date_to,
                                             order__counterparty__main_manager__isnull=False)
    clients = Counterparty.objects.filter(period.q("created_at"), main_manager__isnull=False)
    contacts = Interaction.objects.filter(period.q("start"), state=Interaction.State.DONE,
                                          counterparty__deleted_at__isnull=True)
    if manager_ids is not None:
        shipments = shipments.filter(order__counterparty__main_manager__in=manager_ids)
        clients = clients.filter(main_manager__in=manager_ids)
        contacts = contacts.filter(responsible__in=manager_ids)
    for row in (shipments.annotate(m=TruncMonth("date")).values("order__counterparty__main_manager", "m")
                .annotate(total=Sum(SALE)).order_by()):
        put(row["order__counterparty__main_manager"], row["m"], "revenue",
            Decimal(row["total"] or 0).quantize(Decimal("0.01")))
    tz = timezone.get_current_timezone()
    for row in (clients.annotate(m=TruncMonth("created_at", tzinfo=tz)).values("main_manager", "m")
                .annotate(n=Count("pk")).order_by()):
        put(row["main_manager"], row["m"], "new_clients", row["n"])
    for row in (contacts.annotate(m=TruncMonth("start", tzinfo=tz)).values("responsible", "m")
                .annotate(n=Count("pk")).order_by()):
        put(row["responsible"], row["m"], "contacts", row["n"])
    return result


@dataclass
class PlanFact:
    """Plan and actual of one manager (or the company) over some months."""

    plan: dict = field(default_factory=lambda: {"revenue": Decimal("0.00"), "new_clients": 0, "contacts": 0})
    actual: dict = field(default_factory=lambda: {"revenue": Decimal("0.00"), "new_clients": 0, "contacts": 0})
    planned: bool = False  # a plan exists for at least one of the months

    def done(self, metric):
        """Actual as % of plan (None without a plan for it)."""
        return percent(self.actual[metric], self.plan[metric]) if self.plan[metric] else None

    def add(self, other):
        for metric in METRICS:
            self.plan[metric] += other.plan[metric]
            self.actual[metric] += other.actual[metric]
        self.planned = self.planned or other.planned


def plan_vs_actual(months, currency=None, manager_ids=None):
    """{manager id: PlanFact} over ``months`` for the managers with a plan or an actual figure.

    Plans in another currency than the analysis currency are left out of the revenue plan.
    """
    currency = currency or AnalysisSettings.load().analysis_currency
    plans = SalesPlan.objects.filter(month__in=months)
    if manager_ids is not None:
        plans = plans.filter(manager__in=manager_ids)
    result = {}
    for plan in plans.values("manager", "revenue", "currency", "new_clients", "contacts"):
        entry = result.setdefault(plan["manager"], PlanFact())
        entry.planned = True
        if plan["currency"] == currency:
            entry.plan["revenue"] += plan["revenue"]
        entry.plan["new_clients"] += plan["new_clients"]
        entry.plan["contacts"] += plan["contacts"]
    for (manager, _m), figures in actuals(months, currency, manager_ids).items():
        entry = result.setdefault(manager, PlanFact())
        for metric in METRICS:
            entry.actual[metric] += figures[metric]
    return result


def duplicate_message(manager, month, exclude_pk=None):
    """The error for a second live plan of a manager for a month (None if there is none)."""
    if manager is None or month is None:
        return None
    month = month.replace(day=1)
    others = SalesPlan.objects.filter(manager=manager, month=month)
    if exclude_pk:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        return _("%(manager)s already has a plan for %(month)s: edit that one.") % {
            "manager": manager, "month": month.strftime("%m.%Y")}
    return None


def tile(user, today=None):
    """The dashboard's "Plan for <month>": a manager's own plan, or for a head the company's sum
    over the managers with a plan for the month."""
    from .kpi import can_see_everyone

    month = month_start(today or timezone.localdate())
    ids = None if can_see_everyone(user) else [user.pk]
    if ids is None:
        ids = list(SalesPlan.objects.filter(month=month).values_list("manager", flat=True))
    figures = PlanFact()
    for entry in plan_vs_actual([month], manager_ids=ids).values():
        figures.add(entry)
    return month, figures
