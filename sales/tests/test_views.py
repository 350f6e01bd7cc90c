"""Deal list, edit and board pages; the move endpoint; access rules (managers see own deals only)."""

from decimal import Decimal

import pytest
from django.db.models import F

from clients.models import CounterpartyShare
from clients.tests.factories import CounterpartyFactory
from sales.models import Deal, StageChange, StageRule
from sales.services.board import column_totals
from sales.tests.factories import DealFactory, default_stages

pytestmark = pytest.mark.django_db

NO_LINES = {"lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"}


@pytest.fixture
def stages():
    return default_stages()


@pytest.fixture
def deals(manager, teammate, stages):
    mine = DealFactory(title="Mine", responsible=manager, amount=Decimal("1000.50"),
                       counterparty=CounterpartyFactory(main_manager=manager), stage=stages[0])
    theirs = DealFactory(title="Theirs", responsible=teammate, amount=Decimal("700"),
                         counterparty=CounterpartyFactory(main_manager=teammate), stage=stages[0])
    return mine, theirs


def test_manager_lists_only_own_deals(client_for, manager, sales_head, deals):
    page = client_for(manager).get("/sales/deals/").content.decode()
    assert "Mine" in page and "Theirs" not in page
    page = client_for(sales_head).get("/sales/deals/").content.decode()
    assert "Mine" in page and "Theirs" in page


def test_export_has_plain_client_names_and_own_deals_only(client_for, manager, deals):
    response = client_for(manager).get("/sales/deals/", {"export": "csv"})
    body = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    assert "Mine" in body and "Theirs" not in body
    assert deals[0].counterparty.name in body and "<a " not in body


def test_shared_client_deals_are_visible(client_for, manager, teammate, deals):
    CounterpartyShare.objects.create(counterparty=deals[1].counterparty, user=manager)
    assert "Theirs" in client_for(manager).get("/sales/deals/").content.decode()


def test_list_filters_by_stage(client_for, sales_head, deals, stages):
    deals[1].stage = stages[1]
    deals[1].save()
    page = client_for(sales_head).get(f"/sales/deals/?stage={stages[1].pk}").content.decode()
    assert "Theirs" in page and "Mine" not in page


def test_board_shows_own_cards_and_db_totals(client_for, manager, sales_head, deals, stages):
    response = client_for(manager).get(f"/sales/board/{stages[0].pipeline_id}/")
    page = response.content.decode()
    assert f'data-testid="deal-{deals[0].pk}"' in page
    assert f'data-testid="deal-{deals[1].pk}"' not in page
    mine_only = {stages[0].pk: {"count": 1, "sums": [("RUB", Decimal("1000.50"))]}}
    assert column_totals(manager, stages[0].pipeline) == mine_only
    assert column_totals(sales_head, stages[0].pipeline)[stages[0].pk]["sums"] == [("RUB", Decimal("1700.50"))]
    head_page = client_for(sales_head).get(f"/sales/board/{stages[0].pipeline_id}/").content.decode()
    assert f'data-testid="deal-{deals[1].pk}"' in head_page


def test_board_columns_hold_the_newest_cards_of_the_users_scope(manager, teammate, sales_head, stages):
    """Each column: the newest CARDS_PER_COLUMN of what the user sees (a manager's scope in its
    form for index walks), the rest counted as "more"."""
    import datetime as dt

    from django.utils import timezone

    from sales.services.board import CARDS_PER_COLUMN, board_columns

    own, shared, theirs = (CounterpartyFactory(main_manager=m) for m in (manager, teammate, teammate))
    CounterpartyShare.objects.create(counterparty=shared, user=manager)
    start = timezone.now()
    for i in range(CARDS_PER_COLUMN * 3):  # 30 a column: 22–23 the manager sees
        cp, responsible = [(own, teammate), (shared, teammate), (theirs, manager), (theirs, teammate)][i % 4]
        deal = DealFactory(counterparty=cp, responsible=responsible, stage=stages[i // 4 % 2], title=f"D{i}")
        Deal.objects.filter(pk=deal.pk).update(updated_at=start - dt.timedelta(minutes=i))
    for user, seen in ((manager, {0, 1, 2}), (sales_head, {0, 1, 2, 3})):
        visible = [d for d in Deal.objects.order_by("-updated_at", "-id") if int(d.title[1:]) % 4 in seen]
        columns = {c["stage"].pk: c for c in board_columns(user, stages[0].pipeline)}
        for stage in stages[:2]:
            expected = [d.pk for d in visible if d.stage_id == stage.pk]
            column = columns[stage.pk]
            assert [d.pk for d in column["cards"]] == expected[:CARDS_PER_COLUMN]
            assert column["more"] == len(expected) - CARDS_PER_COLUMN > 0
    assert columns[stages[2].pk]["cards"] == []


def test_each_move_closes_the_previous_stay(manager, deals, stages):
    import datetime as dt

    from django.utils import timezone

    from sales.services.stages import move_deal, stage_entered

    deal, start = deals[0], timezone.now()
    first = stage_entered(deal, None, manager, start)
    move_deal(deal, stages[1], manager, deal.version, now=start + dt.timedelta(hours=3))
    second = deal.stage_changes.latest("moved_at")
    first.refresh_from_db()
    assert first.left_at - first.moved_at == dt.timedelta(hours=3)
    assert second.left_at is None  # still there


def test_board_default_redirects_to_default_pipeline(client_for, manager, stages):
    response = client_for(manager).get("/sales/board/")
    assert response.status_code == 302 and response.url == f"/sales/board/{stages[0].pipeline_id}/"


def test_move_endpoint(client_for, manager, deals, stages):
    mine = deals[0]
    response = client_for(manager).post(f"/sales/deals/{mine.pk}/move/",
                                        {"stage": stages[1].pk, "version": mine.version})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["version"] == 2
    assert data["totals"][str(stages[1].pk)]["count"] == 1
    assert str(stages[0].pk) not in data["totals"]  # the teammate's deal is not counted for me
    mine.refresh_from_db()
    assert mine.stage == stages[1]
    assert StageChange.objects.filter(deal=mine, moved_by=manager).count() == 1


def test_stale_move_is_409(client_for, manager, deals, stages):
    mine = deals[0]
    Deal.objects.filter(pk=mine.pk).update(version=F("version") + 1)
    response = client_for(manager).post(f"/sales/deals/{mine.pk}/move/", {"stage": stages[1].pk, "version": 1})
    assert response.status_code == 409
    mine.refresh_from_db()
    assert mine.stage == stages[0]


def test_teammate_cannot_move_my_deal(client_for, teammate, quality, deals, stages):
    mine = deals[0]
    for user in (teammate, quality):  # quality may view everything but change nothing
        response = client_for(user).post(f"/sales/deals/{mine.pk}/move/", {"stage": stages[1].pk, "version": 1})
        assert response.status_code == 404
    mine.refresh_from_db()
    assert mine.stage == stages[0]


def test_move_to_other_pipeline_is_400(client_for, manager, deals):
    from sales.models import Pipeline, Stage

    foreign = Stage.objects.create(pipeline=Pipeline.objects.create(name="Other"), name="X")
    response = client_for(manager).post(f"/sales/deals/{deals[0].pk}/move/", {"stage": foreign.pk, "version": 1})
    assert response.status_code == 400


def test_create_deal_from_client_card(client_for, manager, teammate, stages, django_capture_on_commit_callbacks):
    cp = CounterpartyFactory(main_manager=manager)
    c = client_for(manager)
    page = c.get(f"/sales/deals/add/?counterparty={cp.pk}")
    assert page.status_code == 200
    StageRule.objects.create(stage=stages[0], title="Book a demo", deadline_amount=1)
    with django_capture_on_commit_callbacks(execute=False):
        response = c.post(f"/sales/deals/add/?counterparty={cp.pk}", {
            "title": "Boiler room", "counterparty": cp.pk, "stage": stages[0].pk, "amount": "250000",
            "currency": "RUB", "responsible": teammate.pk, **NO_LINES})
    assert response.status_code == 302, response.content.decode()[:2000]
    deal = Deal.objects.get(title="Boiler room")
    assert deal.responsible == manager  # managers cannot assign deals to others
    assert deal.probability == stages[0].probability
    assert StageChange.objects.get(deal=deal).from_stage is None
    # Another manager's client cannot be used.
    other = CounterpartyFactory(main_manager=teammate)
    assert c.get(f"/sales/deals/add/?counterparty={other.pk}").status_code == 404


def test_edit_stage_change_is_logged_and_conflict(client_for, manager, deals, stages):
    mine = deals[0]
    c = client_for(manager)
    form = {"title": "Mine", "counterparty": mine.counterparty_id, "stage": stages[2].pk, "amount": "1000.50",
            "currency": "RUB", "responsible": manager.pk, "probability": "55", "version": mine.version,
            **NO_LINES}
    assert c.post(f"/sales/deals/{mine.pk}/", form).status_code == 302
    mine.refresh_from_db()
    assert (mine.stage, mine.probability) == (stages[2], 55)
    assert StageChange.objects.get(deal=mine).to_stage == stages[2]
    assert "Stage history" in c.get(f"/sales/deals/{mine.pk}/").content.decode()
    assert c.post(f"/sales/deals/{mine.pk}/", form).status_code == 409  # version 1 again: stale
    assert client_for(deals[1].responsible).get(f"/sales/deals/{mine.pk}/").status_code == 404


def test_deal_products(client_for, manager, deals, stages):
    mine = deals[0]
    c = client_for(manager)
    base = {"title": "Mine", "counterparty": mine.counterparty_id, "stage": stages[0].pk, "amount": "1000.50",
            "currency": "RUB", "responsible": manager.pk}
    response = c.post(f"/sales/deals/{mine.pk}/", {
        **base, "version": 1, "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0",
        "lines-0-product": "Boiler", "lines-0-quantity": "2", "lines-0-price": "1500.25",
        "lines-1-product": "", "lines-1-quantity": "1", "lines-1-price": "0"})  # an empty extra row
    assert response.status_code == 302, response.content.decode()[-3000:]
    line = mine.lines.get()
    assert (line.product, line.total) == ("Boiler", Decimal("3000.50"))
    page = c.get(f"/sales/deals/{mine.pk}/").content.decode()
    assert 'value="Boiler"' in page
    response = c.post(f"/sales/deals/{mine.pk}/", {
        **base, "version": 2, "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "1",
        "lines-0-id": line.pk, "lines-0-version": line.version, "lines-0-product": "Boiler",
        "lines-0-quantity": "2", "lines-0-price": "1500.25", "lines-0-DELETE": "on"})
    assert response.status_code == 302
    assert not mine.lines.exists()
    assert type(line).all_objects.get(pk=line.pk).is_deleted  # to the trash, not gone


def test_edit_stage_takes_new_default_probability(client_for, manager, deals, stages):
    mine = deals[0]
    form = {"title": "Mine", "counterparty": mine.counterparty_id, "stage": stages[1].pk, "amount": "1",
            "currency": "RUB", "responsible": manager.pk, "probability": str(stages[0].probability),
            "version": mine.version, **NO_LINES}
    assert client_for(manager).post(f"/sales/deals/{mine.pk}/", form).status_code == 302
    mine.refresh_from_db()
    assert mine.probability == stages[1].probability
