"""The maintained sales aggregates (sales.services.aggregates) against a recomputation from scratch.

A seeded random sequence of the operations that change deals — creating (form / API style),
moving on the board, changing the stage in the form (also to another pipeline), writing past moves,
soft delete and restore, hard delete, merging clients, reordering stages — after which every
deal's ``furthest_stage`` must equal what its stage and history say, and the funnel must show the
figures the history-walking query of before gave.
"""

import importlib
import random
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from clients import merge
from clients.tests.factories import CounterpartyFactory
from sales.models import Deal, LostReason, Pipeline, Stage, StageChange
from sales.services import reports
from sales.services.stages import move_deal, stage_entered
from sales.tests.factories import DealFactory, default_stages

pytestmark = pytest.mark.django_db


def recomputed():
    """{deal id: furthest stage id} from the deals' stages and full stage history, in Python."""
    stages = {s.pk: s for s in Stage.all_objects.all()}
    history = {}
    for deal_id, stage_id in StageChange.objects.values_list("deal_id", "to_stage_id"):
        history.setdefault(deal_id, set()).add(stage_id)
    result = {}
    for deal_id, stage_id in Deal.all_objects.values_list("pk", "stage_id"):
        current = stages[stage_id]
        candidates = [stages[s] for s in {stage_id} | history.get(deal_id, set())]
        candidates = [s for s in candidates if s.pipeline_id == current.pipeline_id and s.kind != Stage.Kind.LOST]
        best = max(candidates, key=lambda s: (s.order, s.pk), default=None)
        result[deal_id] = best.pk if best else None
    return result


def stored():
    return dict(Deal.all_objects.values_list("pk", "furthest_stage_id"))


def recomputed_before():
    """{move id: furthest stage id among the deal's earlier moves in the move's pipeline}, in Python."""
    stages = {s.pk: s for s in Stage.all_objects.all()}
    moves = sorted(StageChange.objects.values_list("deal_id", "moved_at", "pk", "to_stage_id"))
    result = {}
    for deal_id, moved_at, pk, to_stage_id in moves:
        pipeline = stages[to_stage_id].pipeline_id
        earlier = [stages[t] for d, m, p, t in moves if d == deal_id and (m, p) < (moved_at, pk)]
        earlier = [s for s in earlier if s.pipeline_id == pipeline and s.kind != Stage.Kind.LOST]
        best = max(earlier, key=lambda s: (s.order, s.pk), default=None)
        result[pk] = best.pk if best else None
    return result


def stored_before():
    return dict(StageChange.objects.values_list("pk", "furthest_before_id"))


def proposal_entries_from_history(pipeline, proposal_stage):
    """The interests report's first moves to the proposal stage or further, as computed before the aggregate."""
    from django.db.models import Exists, OuterRef

    reached = (Q(to_stage__pipeline=pipeline, to_stage__order__gte=proposal_stage.order)
               & ~Q(to_stage__kind=Stage.Kind.LOST))
    earlier = StageChange.objects.filter(reached, deal=OuterRef("deal")).filter(
        Q(moved_at__lt=OuterRef("moved_at")) | Q(moved_at=OuterRef("moved_at"), pk__lt=OuterRef("pk")))
    return set(StageChange.objects.filter(reached).filter(~Exists(earlier)).values_list("pk", flat=True))


def reached_from_history(qs, pipeline, order):
    """The funnel's "reached stage N" as it was computed before the aggregate: from the history."""
    been = (StageChange.objects.filter(to_stage__pipeline=pipeline, to_stage__order__gte=order)
            .exclude(to_stage__kind=Stage.Kind.LOST).values("deal"))
    now = Q(stage__order__gte=order) & ~Q(stage__kind=Stage.Kind.LOST)
    return qs.filter(now | Q(pk__in=been)).count()


class World:
    """The random operations, each the way the application does it."""

    def __init__(self, rng, users):
        self.rng, self.users = rng, users
        self.pipeline = Pipeline.ensure_default()
        self.other = Pipeline.objects.create(name="Service", order=20)
        for order, kind in ((10, Stage.Kind.OPEN), (20, Stage.Kind.OPEN), (30, Stage.Kind.WON), (40, Stage.Kind.LOST)):
            Stage.objects.create(pipeline=self.other, name=f"Service {order}", order=order, kind=kind)
        self.reason = LostReason.objects.first()
        self.clients = [CounterpartyFactory(main_manager=rng.choice(users)) for _ in range(4)]

    def stages(self, pipeline=None):
        return list((pipeline or self.rng.choice([self.pipeline, self.other])).stages.all())

    def live_deals(self):
        return list(Deal.objects.select_related("stage"))

    def create(self):
        deal = Deal(counterparty=self.rng.choice(self.clients), title="Deal", amount=100,
                    responsible=self.rng.choice(self.users), stage=self.rng.choice(self.stages()),
                    lost_reason=self.reason)
        if deal.stage.kind != Stage.Kind.LOST:
            deal.lost_reason = None
        deal.save()
        stage_entered(deal, None, deal.responsible)

    def move(self):
        deals = self.live_deals()
        if deals:
            deal = self.rng.choice(deals)
            stage = self.rng.choice(self.stages(deal.stage.pipeline))
            move_deal(deal, stage, deal.responsible, deal.version, lost_reason=self.reason)

    def edit_stage(self):
        """The edit form: any stage, also of another pipeline; then the history entry."""
        deals = self.live_deals()
        if deals:
            deal = Deal.objects.get(pk=self.rng.choice(deals).pk)
            before = deal.stage
            deal.stage = self.rng.choice(self.stages())
            deal.lost_reason = self.reason if deal.stage.kind == Stage.Kind.LOST else None
            deal.save()
            if before.pk != deal.stage_id:
                stage_entered(deal, before, deal.responsible)

    def past_move(self):
        """A move written into the history afterwards (as an import of old moves would)."""
        deals = self.live_deals()
        if deals:
            deal = self.rng.choice(deals)
            StageChange.objects.create(deal=deal, to_stage=self.rng.choice(self.stages(deal.stage.pipeline)),
                                       moved_at=timezone.now() - timezone.timedelta(days=30))

    def trash(self):
        deals = self.live_deals()
        if deals:
            self.rng.choice(deals).delete()

    def restore(self):
        trashed = list(Deal.all_objects.filter(deleted_at__isnull=False))
        if trashed:
            self.rng.choice(trashed).restore()

    def hard_delete(self):
        deals = list(Deal.all_objects.all())
        if deals and self.rng.random() < 0.5:
            self.rng.choice(deals).hard_delete()

    def merge_clients(self):
        live = [c for c in self.clients if c.deleted_at is None]
        if len(live) > 2:
            survivor, merged = self.rng.sample(live, 2)
            survivor.refresh_from_db()
            merged.refresh_from_db()
            merge.merge(survivor, merged, user=self.users[0], survivor_version=survivor.version,
                        merged_version=merged.version)
            merged.refresh_from_db()

    def reorder_stage(self):
        stage = Stage.objects.get(pk=self.rng.choice(self.stages()).pk)
        stage.order = self.rng.choice([5, 15, 25, 35, 45, 55, 65, 75])
        stage.save()

    OPERATIONS = ("create", "create", "move", "move", "move", "edit_stage", "past_move", "trash", "restore",
                  "hard_delete", "merge_clients", "reorder_stage")

    def step(self):
        getattr(self, self.rng.choice(self.OPERATIONS))()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_operations_keep_the_furthest_stage_right(seed, admin_user, manager, teammate):
    world = World(random.Random(seed), [admin_user, manager, teammate])
    for _ in range(5):
        world.create()
    for step in range(60):
        world.step()
        if step % 10 == 9:
            assert stored() == recomputed(), f"after step {step}"
            assert stored_before() == recomputed_before(), f"after step {step}"
    assert stored() == recomputed()
    assert stored_before() == recomputed_before()


@pytest.mark.parametrize("seed", [4, 5])
def test_funnel_reached_counts_equal_the_history_walk(seed, admin_user, manager, teammate):
    world = World(random.Random(seed), [admin_user, manager, teammate])
    for _ in range(8):
        world.create()
    for _ in range(50):
        world.step()
    period = reports.Period(timezone.localdate() - timezone.timedelta(days=1), timezone.localdate())
    for user in (admin_user, manager):
        for pipeline in (world.pipeline, world.other):
            result = reports.funnel(user, pipeline, period)
            qs = reports.funnel_deals(user, pipeline, period)
            for row in result.rows:
                if row.in_funnel:
                    assert row.reached == reached_from_history(qs, pipeline, row.stage.order), row.stage
    for pipeline in (world.pipeline, world.other):
        for stage in pipeline.stages.exclude(kind=Stage.Kind.LOST):
            entries = set(reports.proposal_entries(pipeline, stage).values_list("pk", flat=True))
            assert entries == proposal_entries_from_history(pipeline, stage), stage


def test_new_deal_counts_its_stage_and_a_lost_only_deal_none(manager):
    s1, s2, *_rest, won, lost = default_stages()
    deal = DealFactory(stage=s2, responsible=manager)
    assert Deal.objects.get(pk=deal.pk).furthest_stage == s2
    stage_entered(deal, None, manager)  # as every path that creates a deal does
    assert deal.furthest_stage == s2  # the in-memory value is read again, not stale
    lost_deal = DealFactory(stage=lost, responsible=manager)
    assert Deal.objects.get(pk=lost_deal.pk).furthest_stage is None
    move_deal(deal, s1, manager, deal.version)
    assert Deal.objects.get(pk=deal.pk).furthest_stage == s2  # moving back does not undo reaching s2
    move_deal(deal, won, manager, deal.version)
    deal.save()  # a later save of the same object keeps what the move stored
    assert Deal.objects.get(pk=deal.pk).furthest_stage == won


def test_rebuild_command_recomputes_from_scratch(manager):
    for stage in default_stages()[:3]:
        DealFactory(stage=stage, responsible=manager)
    right = stored()
    StageChange.objects.create(deal=Deal.objects.first(), to_stage=default_stages()[4], moved_at=timezone.now())
    right, right_before = stored(), stored_before()
    Deal.all_objects.update(furthest_stage=None)
    StageChange.objects.update(furthest_before=None)
    out = StringIO()
    call_command("rebuild_sales_aggregates", stdout=out)
    assert stored() == right == recomputed()
    assert stored_before() == right_before == recomputed_before()
    assert "deal furthest stage: 3 rows" in out.getvalue() and "sale days: 0 rows" in out.getvalue()


def test_data_migration_fills_existing_deals(manager):
    s1, s2, s3, *_rest = default_stages()
    deal = DealFactory(stage=s1, responsible=manager)
    StageChange.objects.bulk_create([StageChange(deal=deal, to_stage=s3, moved_at=timezone.now())])  # no save()
    Deal.all_objects.update(furthest_stage=None)
    migration = importlib.import_module("sales.migrations.0015_deal_furthest_stage")
    migration.fill(apps, None)
    assert stored() == recomputed() == {deal.pk: s3.pk}


def test_data_migration_fills_existing_moves(manager):
    s1, s2, s3, *_rest = default_stages()
    deal = DealFactory(stage=s1, responsible=manager)
    now = timezone.now()
    StageChange.objects.bulk_create([StageChange(deal=deal, to_stage=stage, moved_at=now + timezone.timedelta(hours=i))
                                     for i, stage in enumerate([s1, s3, s2])])  # no save()
    migration = importlib.import_module("sales.migrations.0016_stagechange_furthest_before")
    migration.fill(apps, None)
    assert stored_before() == recomputed_before()
    assert sorted(stored_before().values(), key=lambda v: v or 0) == [None, s1.pk, s3.pk]


def test_funnel_reads_the_deal_rows_not_the_history(admin_user, django_assert_max_num_queries):
    """The "reached" counts are conditional counts over the deal rows: no StageChange in that query."""
    DealFactory(stage=default_stages()[1], responsible=admin_user)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pipeline = Pipeline.default()
    with CaptureQueriesContext(connection) as captured:
        reports.funnel(admin_user, pipeline, reports.current_month())
    reached = [q["sql"] for q in captured if "furthest_stage" in q["sql"]]
    assert reached and all("stagechange" not in sql.lower() for sql in reached)
    assert Deal.objects.aggregate(n=Count("pk", filter=Q(furthest_stage__isnull=False)))["n"] == 1


def test_demo_and_bench_generators_fill_the_aggregate(settings, manager):
    """The bulk generators write no history through save(): they fill the aggregate themselves."""
    from clients.models import CounterpartyGroup
    from sales import bench

    settings.DEMO_MODE = True
    call_command("load_demo", stdout=StringIO())
    group = CounterpartyGroup.objects.create(name="Bench")
    for _ in range(30):
        CounterpartyFactory(group=group, main_manager=manager)
    bench.generate(group, [manager], deals_per_client=1, orders_per_client=0)
    assert Deal.all_objects.count() > 200
    assert Deal.all_objects.filter(furthest_stage__isnull=False).exists()
    assert StageChange.objects.filter(furthest_before__isnull=False).exists()  # the demo's multi-move deals
    assert stored() == recomputed()
    assert stored_before() == recomputed_before()


def test_history_and_api_do_not_show_the_aggregate(manager):
    """Bookkeeping, not an edit: the deal's change history and the API stay as they were."""
    from core.history import entries
    from sales.api.serializers import DealSerializer

    s1, s2, *_rest = default_stages()
    deal = DealFactory(stage=s1, responsible=manager)
    stage_entered(deal, None, manager)
    move_deal(deal, s2, manager, deal.version)
    deal.title = "Renamed"
    deal.save()
    fields = {str(change["field"]) for entry in entries(list(deal.history.all())) for change in entry["changes"]}
    assert "title" in fields and not any("furthest" in f for f in fields)
    assert "furthest_stage" not in DealSerializer().fields
