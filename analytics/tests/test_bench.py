"""The analytics part of ``manage.py bench`` at a tiny size: rows, the timed run, the pages, cleanup."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from analytics import bench as analytics_bench
from analytics.models import AnalysisRun, Classification, ClientAnalysis, RiskFlag
from clients.models import Counterparty
from core import registry
from sales.models import Order, OrderLine, Shipment

pytestmark = pytest.mark.django_db(transaction=False)


def bench(**options):
    out = StringIO()
    call_command("bench", stdout=out, stderr=StringIO(),
                 **{"repeat": 1, "warmup": 1, "orders_per_client": 0, "deals_per_client": 0, "analysis_runs": 1,
                    "mailing_size": 0,  # needs a worker process on a database of its own: make bench only
                    **options})
    return out.getvalue()


def test_bench_times_a_full_run_and_cleans_up():
    output = bench(count=40, shipments_per_client=4)
    assert "Σ analysis run (full)" in output and "analysis run " in output.split("\n\n")[-2]
    assert "160 actual shipment lines" in output  # 40 clients × 2 orders × 2 lines, all shipped
    if "abc" in registry.reports:
        assert "Σ ABC report, manager" in output
    assert not AnalysisRun.objects.exists() and not ClientAnalysis.objects.exists()
    assert not RiskFlag.objects.exists() and not Classification.objects.exists()
    assert not Order.all_objects.exists() and not Counterparty.all_objects.exists()


def test_orders_are_shipped_lines_and_topped_up_once():
    bench(count=30, shipments_per_client=5, keep=True)
    group = Counterparty.objects.filter(orders__comment=analytics_bench.MARK).first().group  # the bench clients'
    orders = Order.objects.filter(counterparty__group=group, comment=analytics_bench.MARK)
    assert orders.count() == 30 * 3  # ⌈5 / 2⌉ orders per client
    assert set(orders.values_list("state", flat=True)) == {Order.State.COMPLETED}
    assert not orders.annotate(n=Count("lines")).exclude(n=2).exists()
    for order in orders.annotate(total=Sum("lines__price"))[:10]:
        assert order.amount == sum(line.total for line in order.lines.all()) > 0
        assert order.cost == sum(line.total_cost for line in order.lines.all())
    lines = OrderLine.objects.filter(order__in=orders)
    assert Shipment.objects.filter(kind="actual", line__in=lines).count() == lines.count() == 180
    run = AnalysisRun.current()
    assert run.clients >= 30 and ClientAnalysis.objects.filter(run=run, counterparty__group=group).count() == 30
    # A second pass adds nothing for clients that have their orders; --reuse tops up new clients only.
    assert analytics_bench.generate(group, run.started_by, 5) == 0
    bench(count=35, shipments_per_client=5, reuse=True)
    assert orders.count() == 35 * 3
    call_command("bench", cleanup=True, stdout=StringIO())
    assert not AnalysisRun.objects.exists() and not Order.all_objects.exists()
