"""Won / lost results: a lost stage needs a reason on the board, in the API and in the edit form."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from clients.tests.factories import CounterpartyFactory
from sales.models import Deal, LostReason, StageChange
from sales.services.stages import move_deal
from sales.tests.factories import DealFactory, default_stages

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 12, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def stages():
    return default_stages()


@pytest.fixture
def won(stages):
    return next(s for s in stages if s.kind == "won")


@pytest.fixture
def lost(stages):
    return next(s for s in stages if s.kind == "lost")


@pytest.fixture
def reason():
    return LostReason.objects.get(code="price")


@pytest.fixture
def deal(manager, stages):
    return DealFactory(title="Cold room", responsible=manager, stage=stages[2],
                       counterparty=CounterpartyFactory(main_manager=manager))


def test_service_refuses_lost_without_reason(deal, lost, reason, manager):
    with pytest.raises(ValidationError) as exc:
        move_deal(deal, lost, manager, deal.version)
    assert exc.value.message_dict == {"lost_reason": ["Choose why the deal was lost."]}
    deal.refresh_from_db()
    assert deal.stage.kind == "open" and not StageChange.objects.filter(deal=deal).exists()

    with time_machine.travel(NOW, tick=False):
        move_deal(deal, lost, manager, deal.version, lost_reason=reason, comment="Cheaper elsewhere")
    deal.refresh_from_db()
    assert (deal.stage, deal.lost_reason, deal.result_comment, deal.closed_at) == (
        lost, reason, "Cheaper elsewhere", NOW)
    assert deal.probability == 0


def test_board_move_to_lost_needs_reason(client_for, deal, lost, reason, manager):
    c = client_for(manager)
    url = f"/sales/deals/{deal.pk}/move/"
    response = c.post(url, {"stage": lost.pk, "version": deal.version})
    assert response.status_code == 400
    assert response.json()["message"] == "Choose why the deal was lost."
    assert c.post(url, {"stage": lost.pk, "version": deal.version, "lost_reason": "999999"}).status_code == 400
    assert Deal.objects.get(pk=deal.pk).stage.kind == "open"

    response = c.post(url, {"stage": lost.pk, "version": deal.version, "lost_reason": reason.pk,
                            "comment": "  Went to a competitor  "})
    assert response.status_code == 200, response.content
    deal.refresh_from_db()
    assert (deal.stage, deal.lost_reason, deal.result_comment) == (lost, reason, "Went to a competitor")
    assert deal.closed_at is not None


def test_board_move_to_won_with_optional_comment(client_for, deal, won, stages, manager):
    c = client_for(manager)
    response = c.post(f"/sales/deals/{deal.pk}/move/", {"stage": won.pk, "version": deal.version,
                                                        "comment": "Signed today"})
    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.stage, deal.result_comment, deal.lost_reason) == (won, "Signed today", None)
    assert deal.closed_at is not None
    # Back to work: no longer closed.
    assert c.post(f"/sales/deals/{deal.pk}/move/", {"stage": stages[1].pk, "version": deal.version}).status_code == 200
    deal.refresh_from_db()
    assert deal.closed_at is None


def test_board_offers_the_lost_reasons(client_for, manager, stages, lost):
    page = client_for(manager).get(f"/sales/board/{stages[0].pipeline_id}/").content.decode()
    assert 'data-testid="deal-result-modal"' in page
    assert f'data-stage="{lost.pk}" data-kind="lost"' in page
    for reason in LostReason.objects.all():
        assert f'<option value="{reason.pk}">{reason.name}</option>' in page


def test_api_move_to_lost_needs_reason(deal, lost, reason, manager):
    api = APIClient()
    api.force_authenticate(manager)
    url = f"/api/deals/{deal.pk}/move/"
    response = api.post(url, {"stage": lost.pk, "version": deal.version})
    assert response.status_code == 400
    assert response.json() == {"lost_reason": ["Choose why the deal was lost."]}
    response = api.post(url, {"stage": lost.pk, "version": deal.version, "lost_reason": reason.pk,
                              "comment": "Too expensive"})
    assert response.status_code == 200, response.json()
    assert (response.json()["lost_reason"], response.json()["result_comment"]) == (reason.pk, "Too expensive")
    # Creating a deal straight in a lost stage follows the same rule.
    cp = deal.counterparty
    response = api.post("/api/deals/", {"counterparty": cp.pk, "title": "X", "stage": lost.pk}, format="json")
    assert response.status_code == 400
    assert "lost_reason" in response.json()


def test_edit_form_lost_without_reason_is_an_error(client_for, deal, lost, reason, manager):
    c = client_for(manager)
    form = {"title": deal.title, "counterparty": deal.counterparty_id, "stage": lost.pk, "amount": "1000",
            "currency": "RUB", "responsible": manager.pk, "version": deal.version,
            "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"}
    response = c.post(f"/sales/deals/{deal.pk}/", form)
    assert response.status_code == 400  # the form again, with the error
    assert "Choose why the deal was lost." in response.content.decode()
    assert Deal.objects.get(pk=deal.pk).stage.kind == "open"
    with time_machine.travel(NOW, tick=False):
        response = c.post(f"/sales/deals/{deal.pk}/", {**form, "lost_reason": reason.pk})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.stage, deal.lost_reason, deal.closed_at) == (lost, reason, NOW)
