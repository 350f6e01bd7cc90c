"""Pipelines, stages, stage rules and lost reasons: administrators configure them, nobody else."""

import pytest

from sales.models import LostReason, Pipeline, Stage, StageRule
from sales.tests.factories import default_stages

pytestmark = pytest.mark.django_db


@pytest.fixture
def stages():
    return default_stages()


def test_admin_configures_a_pipeline(client_for, admin_user, stages):
    c = client_for(admin_user)
    assert "Sales" in c.get("/sales/settings/pipelines/").content.decode()  # built-in: translated
    response = c.post("/sales/settings/pipelines/new/", {"name": "Service", "order": 20, "is_default": "on"})
    assert response.status_code == 302
    service = Pipeline.objects.get(name="Service")
    assert Pipeline.default() == service
    assert Pipeline.objects.filter(is_default=True).count() == 1  # the old default gave way
    response = c.post(f"/sales/settings/stages/new/?pipeline={service.pk}", {
        "pipeline": service.pk, "name": "Request", "order": 10, "probability": 20, "kind": "open"})
    assert response.url == f"/sales/settings/pipelines/{service.pk}/"
    stage = Stage.objects.get(name="Request")
    page = c.get(f"/sales/settings/pipelines/{service.pk}/").content.decode()
    assert "Request" in page
    response = c.post("/sales/settings/rules/new/", {
        "stage": stage.pk, "title": "Call the client", "assignee_kind": "role", "role": "sales_head",
        "deadline_amount": 15, "deadline_unit": "minutes", "is_active": "on"})
    assert response.status_code == 302
    assert StageRule.objects.get().role == "sales_head"
    # A role rule needs the role.
    response = c.post("/sales/settings/rules/new/", {
        "stage": stage.pk, "title": "X", "assignee_kind": "role", "deadline_amount": 1, "deadline_unit": "hours"})
    assert response.status_code == 400
    assert c.post("/sales/settings/lost-reasons/new/", {"name": "Too far", "order": 1}).status_code == 302
    assert LostReason.objects.filter(name="Too far").exists()


def test_managers_cannot_configure(client_for, manager, stages):
    c = client_for(manager)
    assert c.get("/sales/settings/pipelines/new/").status_code == 403
    assert c.get(f"/sales/settings/stages/{stages[0].pk}/").status_code == 404
    url = f"/sales/settings/pipelines/{stages[0].pipeline_id}/"
    assert c.post(url, {"name": "Mine", "version": 1}).status_code == 404
    assert c.post("/sales/settings/rules/new/", {"stage": stages[0].pk, "title": "X"}).status_code == 403
    assert Pipeline.objects.get().name == "Sales"  # built-in, not renamed: shown translated


def test_board_links_to_settings_for_admins_only(client_for, admin_user, manager, stages):
    url = f"/sales/board/{stages[0].pipeline_id}/"
    assert 'data-testid="configure-pipeline"' in client_for(admin_user).get(url).content.decode()
    assert 'data-testid="configure-pipeline"' not in client_for(manager).get(url).content.decode()
