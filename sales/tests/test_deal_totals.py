"""DealTotal, the deals per stage, currency and close month kept by database triggers
(core.rollups), against the deals it sums; and its reader against the deals themselves."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import factory
import pytest

from clients.models import Counterparty, CounterpartyShare
from clients.tests.factories import CounterpartyFactory
from core import access, rollups
from core.tests.factories import UserFactory
from sales import rollups as deal_rollups
from sales.models import Deal, DealTotal
from sales.models.deals import NO_DATE
from sales.tests.factories import DealFactory as BaseDealFactory
from sales.tests.factories import default_stages

pytestmark = pytest.mark.django_db
CENT = Decimal("0.01")


class DealFactory(BaseDealFactory):
    responsible = factory.SubFactory(UserFactory)


def month(day):
    return day.replace(day=1) if day else NO_DATE


def expected():
    groups = defaultdict(lambda: [0, Decimal(0), Decimal(0), Decimal(0)])
    for deal in Deal.objects.select_related("counterparty"):  # the default manager: not in the trash
        group = groups[(deal.stage_id, deal.currency, month(deal.expected_close_date), deal.responsible_id,
                        deal.counterparty.main_manager_id or 0)]
        group[0] += 1
        group[1] += deal.amount
        if deal.probability is None:
            group[3] += deal.amount
        else:
            group[2] += deal.amount * deal.probability
    return {key: tuple(v) for key, v in groups.items()}


def kept():
    # SQLite sums decimals as floats: round back to cents.
    return {(t.stage_id, t.currency, t.close_month, t.responsible_id, t.client_manager):
            (t.count, *(Decimal(v).quantize(CENT) for v in (t.amount, t.weighted, t.unweighted)))
            for t in DealTotal.objects.all() if t.count}


def check():
    assert kept() == expected()


def test_every_write_of_deals_keeps_the_totals():
    stages = default_stages()
    a = DealFactory(amount=Decimal("100.10"), expected_close_date=dt.date(2026, 3, 15))
    b = DealFactory(amount=Decimal("50"), probability=30, expected_close_date=dt.date(2026, 3, 31))
    c = DealFactory(amount=Decimal("7.77"), currency="EUR")
    check()
    Deal.objects.filter(pk=a.pk).update(stage=stages[2], probability=55)  # around the model
    check()
    Deal.objects.filter(pk=c.pk).update(expected_close_date=dt.date(2026, 4, 1), amount=Decimal("8"))
    check()
    b.refresh_from_db()
    b.expected_close_date = None
    b.save()
    check()
    b.delete()  # the trash
    check()
    b.restore()
    check()
    Deal.objects.bulk_create([Deal(counterparty=a.counterparty, title=f"Bulk {i}", amount=Decimal(i),
                                   stage=stages[1], responsible=UserFactory()) for i in range(1, 4)])
    check()
    boss = UserFactory(role="sales_manager")
    Counterparty.objects.filter(pk=a.counterparty_id).update(main_manager=boss)  # the client changes hands
    check()
    a.counterparty.refresh_from_db()
    a.counterparty.main_manager = None
    a.counterparty.save()
    check()
    Deal.all_objects.filter(pk=c.pk).delete()  # for good
    check()
    assert rollups.rebuild(deal_rollups.DEAL_TOTALS) and kept() == expected()


def as_set(rows, keys):
    return {(*(r[k] for k in keys), r["n"], Decimal(r["total"]).quantize(CENT), Decimal(r["expected"]).quantize(CENT))
            for r in rows}


def test_the_reader_matches_the_deals_with_the_trash_and_a_new_stage_probability(head):
    stages = default_stages()
    gone = CounterpartyFactory()
    for i, (stage, probability, close, cp) in enumerate([
            (0, None, dt.date(2026, 3, 10), None), (0, 40, dt.date(2026, 3, 20), None), (1, None, None, None),
            (2, None, dt.date(2026, 5, 1), gone), (2, 10, dt.date(2026, 5, 2), gone), (3, None, None, gone)]):
        DealFactory(stage=stages[stage], probability=probability, expected_close_date=close,
                    amount=Decimal(100 * (i + 1)), **({"counterparty": cp} if cp else {}))
    gone.delete()
    stages[0].probability = 25  # the stage's probability moves: nothing to rewrite
    stages[0].save()
    visible = Deal.objects.restrict(head, access.VIEW)
    for keys in (["stage_id", "currency"], ["currency", "close_month"]):
        got = deal_rollups.totals(head, keys, weighted=True, stage__kind="open")
        live = deal_rollups._grouped(visible.filter(stage__kind="open"), keys, True)
        assert as_set(got, keys) == as_set(live, keys) and len(got) >= 2
    assert deal_rollups.reads_totals(head) and not deal_rollups.reads_totals(UserFactory(is_active=False))


def test_a_sales_managers_totals_are_their_deals_clients_and_shares(manager):
    """Responsible for the deal, the client's main manager, a client shared with them: each way
    into their scope counted once, the trash taken off, another manager's deals left out."""
    stages = default_stages()
    other = UserFactory(role="sales_manager")
    mine, theirs, shared, gone = (CounterpartyFactory(main_manager=m) for m in (manager, other, other, manager))
    CounterpartyShare.objects.create(counterparty=shared, user=manager)
    CounterpartyShare.objects.create(counterparty=mine, user=manager)  # shared with its own manager too
    for i, (cp, responsible, stage) in enumerate([
            (mine, manager, 0), (mine, other, 1), (theirs, manager, 0), (theirs, other, 0),
            (shared, other, 2), (shared, manager, 2), (gone, manager, 1), (gone, other, 3)]):
        DealFactory(counterparty=cp, responsible=responsible, stage=stages[stage], amount=Decimal(10 * (i + 1)),
                    expected_close_date=dt.date(2026, 3 + i % 2, 5))
    gone.delete()
    visible = Deal.objects.restrict(manager, access.VIEW)
    assert visible.count() == 5
    for keys in (["stage_id", "currency"], ["currency", "close_month"]):
        got = deal_rollups.totals(manager, keys, weighted=True)
        live = deal_rollups._grouped(visible, keys, True)
        assert as_set(got, keys) == as_set(live, keys)
    assert deal_rollups.reads_totals(manager)
