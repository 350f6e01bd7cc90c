"""Sales API: access per role, create with stage history, the move endpoint (rules, 409, 404)."""

import pytest

from clients.tests.factories import CounterpartyFactory
from sales.models import Deal, StageChange, StageRule
from sales.tests.factories import DealFactory, default_stages

pytestmark = pytest.mark.django_db


@pytest.fixture
def stages():
    return default_stages()


def test_deals_are_scoped(api, manager, teammate, sales_head, stages):
    mine = DealFactory(responsible=manager, counterparty=CounterpartyFactory(main_manager=manager))
    theirs = DealFactory(responsible=teammate, counterparty=CounterpartyFactory(main_manager=teammate))
    ids = {row["id"] for row in api(manager).get("/api/deals/").json()["results"]}
    assert ids == {mine.pk}
    assert api(manager).get(f"/api/deals/{theirs.pk}/").status_code == 404
    ids = {row["id"] for row in api(sales_head).get("/api/deals/").json()["results"]}
    assert ids == {mine.pk, theirs.pk}


def test_pipelines_readable_but_admin_only_writes(api, manager, admin_user, stages):
    data = api(manager).get("/api/pipelines/").json()["results"]
    assert [s["name"] for s in data[0]["stages"]][0] == "Demonstration / presentation"
    assert api(manager).post("/api/pipelines/", {"name": "X"}).status_code == 403
    assert api(admin_user).post("/api/pipelines/", {"name": "Service"}).status_code == 201


def test_create_and_move_through_api(api, manager, teammate, stages, django_capture_on_commit_callbacks):
    cp = CounterpartyFactory(main_manager=manager)
    client = api(manager)
    response = client.post("/api/deals/", {"counterparty": cp.pk, "title": "Boiler", "amount": "100.00",
                                           "stage": stages[0].pk}, format="json")
    assert response.status_code == 201, response.json()
    deal = Deal.objects.get(pk=response.json()["id"])
    assert (deal.responsible, deal.currency, deal.probability) == (manager, "RUB", stages[0].probability)
    # A plain update cannot change the stage: moves go through /move/ so the rules run.
    client.patch(f"/api/deals/{deal.pk}/", {"stage": stages[3].pk, "version": 1}, format="json")
    deal.refresh_from_db()
    assert deal.stage == stages[0]

    StageRule.objects.create(stage=stages[1], title="Call", deadline_amount=15, deadline_unit="minutes")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/deals/{deal.pk}/move/", {"stage": stages[1].pk, "version": deal.version})
    assert response.status_code == 200, response.json()
    assert response.json()["stage"] == stages[1].pk
    history = client.get(f"/api/deals/{deal.pk}/stages/").json()
    assert [h["to_stage"] for h in history] == [stages[0].pk, stages[1].pk]
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(task_path="sales.tasks.run_stage_rules").count() == 1

    # Stale version: 409 with the current record; someone else's deal: 404.
    response = client.post(f"/api/deals/{deal.pk}/move/", {"stage": stages[2].pk, "version": 1})
    assert response.status_code == 409
    assert api(teammate).post(f"/api/deals/{deal.pk}/move/",
                              {"stage": stages[2].pk, "version": 3}).status_code == 404
    assert StageChange.objects.filter(deal=deal).count() == 2


def test_cannot_create_deal_for_foreign_client(api, manager, teammate, stages):
    cp = CounterpartyFactory(main_manager=teammate)
    response = api(manager).post("/api/deals/", {"counterparty": cp.pk, "title": "X", "stage": stages[0].pk},
                                 format="json")
    assert response.status_code == 400


def test_negative_amounts_and_quantities_are_refused(api, manager, stages):
    cp = CounterpartyFactory(main_manager=manager)
    client = api(manager)
    response = client.post("/api/deals/", {"counterparty": cp.pk, "title": "Boiler", "amount": "-1",
                                           "stage": stages[0].pk}, format="json")
    assert response.status_code == 400 and "amount" in response.json()
    deal = DealFactory(counterparty=cp, responsible=manager, stage=stages[0])
    for field, value in (("quantity", "0"), ("quantity", "-2"), ("price", "-0.01")):
        line = {"deal": deal.pk, "product": "Pump", "quantity": "1", "price": "10", field: value}
        response = client.post("/api/deal-lines/", line, format="json")
        assert response.status_code == 400 and field in response.json(), (field, value)
    assert not deal.lines.exists()
