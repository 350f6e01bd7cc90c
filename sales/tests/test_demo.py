"""Demo deals and orders: every stage, two years of orders with shipments and payments, idempotent."""

import datetime as dt
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Max, Min, Q, Sum
from django.utils import timezone

from core import dashboard
from sales import demo
from sales.models import (
    Deal,
    DealLine,
    Order,
    OrderLine,
    Payment,
    Pipeline,
    PlanFact,
    Product,
    ProductCategory,
    Shipment,
    Stage,
    StageChange,
    StageRule,
)

# The clients' demo managers and big buyers' group, as its loader hands them on (no sibling demo import).
MANAGERS, CHAINS = ["manager1", "manager2", "manager3"], "Сети"

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 12, 7, 0, tzinfo=dt.UTC)  # Wednesday 10:00 in Moscow
TODAY = dt.date(2025, 3, 12)
MONEY = DecimalField(max_digits=24, decimal_places=2)
MODELS = [Deal, DealLine, StageChange, Order, OrderLine, Shipment, Payment]


def counts():
    return {model.__name__: model._default_manager.count() for model in MODELS} | {
        "history": Deal.history.count()}


def load():
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("load_demo", stdout=out)
    return out.getvalue()


def check_deals():
    pipeline = Pipeline.default()
    per_stage = dict(Deal.objects.values_list("stage").annotate(n=Count("id")))
    stages = list(pipeline.stages.order_by("order"))
    assert all(per_stage.get(s.pk, 0) >= 10 for s in stages), per_stage  # every stage, open or closed
    assert sum(per_stage.values()) == Deal.objects.count() == 200
    assert not Deal.objects.exclude(stage__pipeline=pipeline).exists()
    # Lead sources from the list, several of them.
    assert not Deal.objects.filter(lead_source=None).exists()
    assert Deal.objects.values("lead_source").distinct().count() > 3

    # The stage log: from the first stage to the current one, in time order, all in the past.
    changes = {}
    for change in StageChange.objects.order_by("deal", "moved_at", "pk"):
        changes.setdefault(change.deal_id, []).append(change)
    for deal in Deal.objects.select_related("stage"):
        log = changes[deal.pk]
        assert log[0].from_stage_id is None and log[0].to_stage_id == stages[0].pk
        assert log[-1].to_stage_id == deal.stage_id
        for a, b in zip(log, log[1:], strict=False):
            assert a.to_stage_id == b.from_stage_id and a.moved_at < b.moved_at
        assert log[-1].moved_at <= NOW and deal.created_at == log[0].moved_at
        if deal.stage.is_closed:
            assert deal.closed_at == log[-1].moved_at
        else:
            assert deal.closed_at is None
        assert (deal.lost_reason_id is not None) == (deal.stage.kind == Stage.Kind.LOST)
        assert deal.amount == sum(line.total for line in deal.lines.all()) > 0
    oldest = StageChange.objects.aggregate(m=Min("moved_at"))["m"]
    assert oldest < NOW - dt.timedelta(days=240)  # history spread over months
    # Won deals became orders; open ones are expected over the coming months.
    assert Order.objects.filter(deal__stage__kind=Stage.Kind.WON).count() == Deal.objects.filter(
        stage__kind=Stage.Kind.WON).count()
    months = {d.replace(day=1) for d in Deal.objects.filter(stage__kind=Stage.Kind.OPEN, expected_close_date__gt=TODAY)
              .values_list("expected_close_date", flat=True)}
    assert len(months) >= 4


def check_orders():
    span = Order.objects.aggregate(first=Min("date"), last=Max("date"))
    assert span["last"] <= TODAY and (span["last"] - span["first"]).days >= 23 * 30
    months = {d.replace(day=1) for d in Order.objects.values_list("date", flat=True)}
    assert len(months) == 24
    assert 1500 <= Order.objects.count() <= 3000
    assert Order.objects.values("number").distinct().count() == Order.objects.count()

    # Totals as recalc() keeps them: the sum of the lines' totals.
    value = ExpressionWrapper(F("lines__quantity") * F("lines__price"), output_field=MONEY)
    cost = ExpressionWrapper(F("lines__quantity") * F("lines__cost"), output_field=MONEY)
    for row in Order.objects.values("id", "amount", "cost").annotate(total=Sum(value), total_cost=Sum(cost)):
        assert row["amount"] == Decimal(row["total"]).quantize(Decimal("0.01"))
        assert row["cost"] == Decimal(row["total_cost"]).quantize(Decimal("0.01"))
        assert 0 < row["cost"] < row["amount"]  # profitable, as a business should be

    for model in (Shipment, Payment):
        kinds = dict(model.objects.values_list("kind").annotate(n=Count("id")))
        assert kinds[PlanFact.PLANNED] > 1000 and kinds[PlanFact.ACTUAL] > 1000, model
        assert not model.objects.filter(kind=PlanFact.ACTUAL, date__gt=TODAY).exists()
    assert Shipment.objects.filter(kind=PlanFact.PLANNED, date__gt=TODAY).exists()  # the calendar's future
    assert Shipment.objects.filter(kind=PlanFact.ACTUAL, date=TODAY).exists()  # the dashboard's "today"
    assert Payment.objects.filter(kind=PlanFact.ACTUAL, date=TODAY).exists()

    # Never more shipped than ordered nor more paid than invoiced; partial ones exist.
    shipped = (OrderLine.objects.annotate(shipped=Sum("shipments__quantity",
                                                      filter=Q(shipments__kind=PlanFact.ACTUAL)))
               .values_list("quantity", "shipped"))
    assert all((s or 0) <= q for q, s in shipped)
    assert any(s and s < q for q, s in shipped)
    paid = (Order.objects.annotate(paid=Sum("payments__amount", filter=Q(payments__kind=PlanFact.ACTUAL)),
                                   parts=Count("payments", filter=Q(payments__kind=PlanFact.ACTUAL)))
            .values_list("state", "amount", "paid", "parts"))
    assert all((p or 0) <= a for _s, a, p, _n in paid)
    assert sum(1 for _s, _a, _p, n in paid if n >= 2) > 50  # paid in instalments
    completed = [(a, p) for s, a, p, _n in paid if s == Order.State.COMPLETED]
    assert len(completed) > 1000 and all(a == p for a, p in completed)
    # Overdue invoices: due before today, not fully paid.
    overdue = Order.objects.filter(state=Order.State.CONFIRMED, payments__kind=PlanFact.PLANNED,
                                   payments__date__lt=TODAY).distinct()
    assert sum(1 for o in overdue if (o.payments.filter(kind="actual").aggregate(s=Sum("amount"))["s"] or 0)
               < o.amount) >= 10
    failed = Order.objects.filter(state=Order.State.FAILED)
    assert 20 <= failed.count() and not failed.filter(failure_reason__isnull=True).exists()
    assert not Order.objects.exclude(state=Order.State.FAILED).filter(failure_reason__isnull=False).exists()
    assert not Shipment.objects.filter(order__state=Order.State.FAILED, kind=PlanFact.ACTUAL).exists()


def check_valid_and_scoped():
    for model in MODELS[:-1] + [Payment]:
        if model is StageChange:
            continue
        for obj in model.objects.order_by("pk")[::97]:
            obj.full_clean()
    # A manager's deals and orders are about their own clients: the board and lists show them.
    assert not Deal.objects.exclude(responsible=F("counterparty__main_manager")).exists()
    assert not Order.objects.exclude(responsible=F("counterparty__main_manager")).exists()
    assert set(Order.objects.values_list("responsible__username", flat=True).distinct()) == set(MANAGERS)


def check_catalogue():
    """«Лидер»'s catalogue: ~30 products and services in categories; the demo lines are linked to them."""
    products = list(Product.objects.select_related("category"))
    assert len(products) >= 30 and all(p.category_id and p.article and p.price > p.cost > 0 for p in products)
    assert {p.kind for p in products} == {"product", "service"} and not all(p.is_active for p in products)
    assert ProductCategory.objects.filter(parent__isnull=False).count() >= 8
    assert not DealLine.objects.filter(catalog_product__isnull=True).exists()  # every demo line's name matches
    linked = OrderLine.objects.filter(catalog_product__isnull=False)
    assert linked.count() > OrderLine.objects.count() / 2  # analytics' own orders keep free-text lines
    for model in (DealLine, OrderLine):
        assert not model.objects.filter(catalog_product__isnull=False).exclude(
            product=F("catalog_product__name")).exists()


def test_load_demo_sales(settings):
    settings.DEMO_MODE = True
    output = load()  # its speed (the whole demo under 30 s) is checked by activities' demo test
    assert "Demo sales: 200 deals" in output
    assert StageRule.objects.count() == len(demo.STAGE_RULES)  # seed 002's procedure on the pipeline
    check_deals()
    check_orders()
    check_valid_and_scoped()
    check_catalogue()

    head = get_user_model().objects.get(username="head")
    data = {key: value for context in dashboard.tile_contexts(head, now=NOW).values() for key, value in context.items()}
    assert data["money"][0].revenue_today > 0 and data["money"][0].paid_today > 0
    assert all(count > 0 for _stage, count, _sums in data["stages"])

    # Idempotent: a second run (another day) adds nothing.
    first = counts()
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        out = StringIO()
        call_command("load_demo", stdout=out)
    assert "Demo deals and orders are already loaded." in out.getvalue()
    assert counts() == first and first["history"] == first["Deal"]

    # Deterministic: the same day gives the same rows.
    def build():
        builder = demo.Builder(demo.demo_clients(MANAGERS, CHAINS), list(Pipeline.default().stages.order_by("order")),
                               list(demo.LostReason.objects.order_by("order", "pk")),
                               demo.default_failure_reasons(), NOW)
        builder.all_deals()
        builder.all_orders()
        return [(o.date, o.counterparty_id, o.amount, o.state) for o in builder.orders]

    rows = build()
    assert rows == build()
    loaded = Counter(Order.objects.values_list("date", "counterparty_id", "amount", "state"))
    assert not Counter(rows) - loaded  # all loaded; later demo loaders (analytics) add orders of their own
    assert timezone.localdate(NOW) == TODAY
