from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from stdnum.ru import inn

from activities.models import Interaction
from analytics import bench as analytics_bench
from clients import demo
from clients.models import ContactInfo, ContactPerson, Counterparty
from sales.models import Deal, Order, OrderLine, SaleDay, Shipment

pytestmark = pytest.mark.django_db(transaction=False)

CASES = ["list, admin", "list, manager", "list, next page", "filter: property (choice)",
         "search: name fragment", "search: name, manager", "search: person surname", "search: phone",
         "search: tax id", "client card", "Σ deal board, manager", "Σ deal board, admin", "deal list, manager",
         "order list, manager", "order analysis, manager", "Σ dashboard, admin", "Σ sales funnel, admin",
         "Σ forecast, manager", "order card", "interactions, admin", "interactions, manager",
         "interactions, next page", "interaction form", "list, page 1000", "contact persons, page 1000",
         "interactions, page 1000", "deal list, page 1000", "order list, page 1000", "quick search: name fragment",
         "quick search: name, manager", "quick search: surname", "quick search: phone", "quick search: tax id",
         "quick search: e-mail"]


def bench(**options):
    out = StringIO()
    # The mailing speed needs a worker process on a database of its own: measured by make bench only.
    call_command("bench", stdout=out, stderr=StringIO(), **{"repeat": 1, "warmup": 1, "mailing_size": 0, **options})
    return out.getvalue()


def test_bench_measures_every_case_and_cleans_up():
    output = bench(count=200)
    for case in CASES:
        assert case in output
    assert "COUNT" in output and "200 counterparties" in output
    assert not Counterparty.all_objects.exists()  # bench rows and users are removed again
    assert not Deal.all_objects.exists() and not Order.all_objects.exists() and not OrderLine.all_objects.exists()
    assert not Interaction.all_objects.exists() and not SaleDay.objects.exists()
    assert demo.bench_group() is None


def test_bench_rows_are_complete_and_guarded():
    bench(count=120, keep=True)
    rows = Counterparty.objects.filter(group=demo.bench_group())
    assert rows.count() == 120
    assert not rows.filter(search_text="").exists()
    assert all(inn.is_valid(tax_id) for tax_id in rows.values_list("tax_id", flat=True))
    for cp in rows[:20]:
        assert 2 <= ContactPerson.objects.filter(counterparty=cp).count() <= 4
        assert 1 <= ContactInfo.objects.filter(counterparty=cp).count() <= 3
        assert cp.properties["activity"] in demo.ACTIVITIES
    assert rows.values("main_manager").distinct().count() > 10
    assert Deal.objects.filter(counterparty__group=demo.bench_group()).count() == 24  # 0.2 per client
    sales_orders = Order.objects.filter(counterparty__group=demo.bench_group()).exclude(comment=analytics_bench.MARK)
    assert sales_orders.count() == 60  # 0.5 per client (the analytics part adds its own)
    lines = OrderLine.objects.filter(order__in=sales_orders)
    assert lines.count() == 240 and Shipment.objects.filter(line__in=lines).count() == 240  # 4, each shipped
    interactions = Interaction.objects.filter(counterparty__group=demo.bench_group())
    assert interactions.count() == 600  # 5 per client
    assert set(interactions.values_list("state", flat=True)) == {"planned", "done", "cancelled"}
    # The bulk loads suspended the sale days' triggers (SQLite) and recomputed them once.
    actual = Shipment.objects.filter(kind="actual", line__deleted_at__isnull=True).count()
    assert actual and sum(SaleDay.objects.values_list("lines", flat=True)) == actual
    with pytest.raises(CommandError, match="--reuse"):
        bench(count=120)
    assert "search: tax id" in bench(count=150, reuse=True, repeat=1)  # tops up to 150, keeps them
    assert rows.count() == 150 and interactions.count() == 750
    only = bench(count=150, reuse=True, repeat=1, only="tax id|ABC", analysis_runs=0)
    assert "search: tax id" in only and "ABC report" in only
    assert "list, admin" not in only and "analysis run (full)" not in only  # a run is stored: not timed again
    with pytest.raises(CommandError, match="Missed targets"):
        bench(count=150, reuse=True, repeat=1, check=True, max_median=0.001)
    call_command("bench", cleanup=True, stdout=StringIO())
    assert not Counterparty.all_objects.exists()
