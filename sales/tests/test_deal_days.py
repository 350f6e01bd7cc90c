"""DealDay and MoveDay — deals created and stage moves of a local day, kept by database triggers
(core.rollups, the local date taken in TIME_ZONE) — against the deals and moves they count; and
the interests report read from them against the report counted from the deals, for a head and
for a sales manager."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import factory
import pytest
from django.utils import timezone

from clients.models import Counterparty, CounterpartyShare
from clients.tests.factories import CounterpartyFactory
from core import rollups
from core.reports import Period
from core.tests.factories import UserFactory
from sales import rollups as sales_rollups
from sales.models import Deal, DealDay, MoveDay, StageChange
from sales.services import reports
from sales.tests.factories import DealFactory as BaseDealFactory
from sales.tests.factories import default_stages

pytestmark = pytest.mark.django_db
CENT = Decimal("0.01")
UTC = dt.UTC


class DealFactory(BaseDealFactory):
    responsible = factory.SubFactory(UserFactory)


def local(moment):
    return timezone.localtime(moment).date()


def manager_of(deal):
    return Counterparty.all_objects.get(pk=deal.counterparty_id).main_manager_id or 0


def expected():
    created, moves = defaultdict(int), defaultdict(lambda: [0, Decimal(0)])
    for deal in Deal.objects.all():  # the default manager: not in the trash
        created[(local(deal.created_at), deal.stage_id, deal.responsible_id, manager_of(deal))] += 1
    for move in StageChange.objects.filter(deal__deleted_at__isnull=True).select_related("deal"):
        deal = move.deal
        group = moves[(local(move.moved_at), move.to_stage_id, move.furthest_before_id or 0, deal.stage_id,
                       deal.responsible_id, deal.currency, manager_of(deal))]
        group[0] += 1
        group[1] += deal.amount
    return dict(created), {key: tuple(v) for key, v in moves.items()}


def kept():
    created = {(d.date, d.stage_id, d.responsible_id, d.client_manager): d.count
               for d in DealDay.objects.all() if d.count}
    moves = {(m.date, m.to_stage_id, m.furthest_before, m.stage_id, m.responsible_id, m.currency, m.client_manager):
             (m.count, Decimal(m.amount).quantize(CENT)) for m in MoveDay.objects.all() if m.count}
    return created, moves


def check():
    assert kept() == expected()


def move(deal, stage, moved_at):
    """The deal enters ``stage`` at ``moved_at`` (history written as the board does)."""
    StageChange.objects.create(deal=deal, to_stage=stage, moved_at=moved_at)
    Deal.all_objects.filter(pk=deal.pk).update(stage=stage)


def test_every_write_of_deals_moves_and_clients_keeps_the_days(manager, teammate):
    stages = default_stages()
    alpha = CounterpartyFactory(main_manager=manager)
    a = DealFactory(counterparty=alpha, responsible=manager, amount=Decimal("100.10"), stage=stages[0])
    b = DealFactory(responsible=teammate, amount=Decimal("50"), currency="EUR", stage=stages[0])
    check()
    # 21:30 UTC on 31 March is 00:30 on 1 April in Moscow: the local day counts.
    Deal.all_objects.filter(pk=a.pk).update(created_at=dt.datetime(2026, 3, 31, 21, 30, tzinfo=UTC))
    move(a, stages[1], dt.datetime(2026, 3, 31, 20, 59, tzinfo=UTC))
    move(a, stages[2], dt.datetime(2026, 4, 2, 9, tzinfo=UTC))
    move(b, stages[2], dt.datetime(2026, 4, 3, 9, tzinfo=UTC))
    check()
    # A past move written afterwards shifts the later moves' furthest stage before them.
    StageChange.objects.create(deal=b, to_stage=stages[1], moved_at=dt.datetime(2026, 4, 1, 9, tzinfo=UTC))
    check()
    Deal.objects.filter(pk=a.pk).update(amount=Decimal("7.77"), currency="USD", responsible=teammate)
    check()
    b.refresh_from_db()
    b.stage = stages[3]
    b.save()  # the board: Deal.save() writes its entry into the stage
    check()
    b.delete()  # the trash
    check()
    b.restore()
    check()
    Counterparty.objects.filter(pk=alpha.pk).update(main_manager=teammate)  # the client changes hands
    check()
    alpha.refresh_from_db()
    alpha.main_manager = None
    alpha.save()
    check()
    StageChange.objects.filter(deal=a, to_stage=stages[1]).delete()
    check()
    Deal.all_objects.filter(pk=b.pk).delete()  # for good, with its moves
    check()
    assert DealDay.objects.filter(count__gt=0).exists() and MoveDay.objects.filter(count__gt=0).exists()
    assert rollups.rebuild(sales_rollups.DEAL_DAYS) and rollups.rebuild(sales_rollups.MOVE_DAYS)
    check()


@pytest.fixture
def deals(manager, teammate):
    """Deals of a manager's own clients, of a client shared with him, of the teammate's client where
    he is the responsible, of the teammate's alone, of a client in the trash, a deal in the trash,
    moves back and forth, a move at the local midnight, a deal in another pipeline."""
    stages = default_stages()
    own, shared, other, gone = (CounterpartyFactory(main_manager=m) for m in (manager, teammate, teammate, manager))
    CounterpartyShare.objects.create(counterparty=shared, user=manager)
    plan = [(own, manager, "100.50"), (own, teammate, "20"), (shared, teammate, "30.25"), (other, manager, "40"),
            (other, teammate, "50"), (gone, manager, "60"), (own, manager, "70")]
    made = []
    for i, (client, responsible, amount) in enumerate(plan):
        deal = DealFactory(counterparty=client, responsible=responsible, amount=Decimal(amount), stage=stages[0],
                           currency="EUR" if i % 3 == 2 else "RUB")
        created = dt.datetime(2026, 1 + i % 3, 10 + i, 21, 30, tzinfo=UTC)  # the next local day
        Deal.all_objects.filter(pk=deal.pk).update(created_at=created)
        move(deal, stages[1 + i % 3], created + dt.timedelta(days=20))
        if i % 2:
            move(deal, stages[1], created + dt.timedelta(days=25))  # back: not a new entry
            move(deal, stages[2], created + dt.timedelta(days=40))
        made.append(deal)
    made[-1].delete()
    gone.delete()
    from sales.models import Pipeline, Stage

    elsewhere = Pipeline.objects.create(name="Service")
    stage = Stage.objects.create(pipeline=elsewhere, name="Open", order=1, kind=Stage.Kind.OPEN)
    DealFactory(counterparty=own, responsible=manager, stage=stage)
    return stages


def interests(user, stage, start, end, responsible):
    got = reports.interests(user, Period(start, end), stage, responsible=responsible)
    rows = [(r.label, r.interests, r.proposals, {c: {m: v.quantize(CENT) for m, v in cells.items()}
                                                 for c, cells in r.sums.items()}) for r in [*got.rows, got.total]]
    return rows, got.currencies


@pytest.mark.parametrize("persona", ["sales_head", "manager"])
@pytest.mark.parametrize("responsible", [False, True])
@pytest.mark.parametrize("start", [dt.date(2026, 1, 1), dt.date(2026, 2, 15)])
def test_the_report_reads_the_days_as_it_counts_the_deals(persona, responsible, start, deals, request,
                                                         monkeypatch):
    user = request.getfixturevalue(persona)
    who = [request.getfixturevalue("manager")] if responsible else ()
    for stage in deals[1:3]:
        fast = interests(user, stage, start, dt.date(2026, 12, 31), who)
        if start.day == 1:
            assert fast[0][-1][1] and fast[0][-1][2]  # new interests and proposals counted
        monkeypatch.setattr(reports.rollups, "reads_totals", lambda user: False)
        slow = interests(user, stage, start, dt.date(2026, 12, 31), who)
        monkeypatch.undo()
        assert fast == slow
    assert sales_rollups.reads_totals(user)
