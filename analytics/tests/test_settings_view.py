"""The analysis settings page: administrators only, history, locking, unchanged save, weights."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from analytics.models import AnalysisSettings, Indicator
from core.tests.html_forms import as_post_data, find_form, form_values

pytestmark = pytest.mark.django_db
URL = "/analytics/settings/"


def page_data(client):
    page = client.get(URL)
    assert page.status_code == 200
    return as_post_data(form_values(find_form(page.content.decode())))


def test_url():
    assert reverse("analytics:settings") == URL


@pytest.mark.parametrize("persona", ["head", "sales_head", "manager", "quality", "marketer", "service"])
def test_only_administrators(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"lost_days": 90}).status_code == 403
    assert AnalysisSettings.load().lost_days == 180


@pytest.mark.parametrize("lang", [code for code, _name in settings.LANGUAGES])
def test_unchanged_save_changes_nothing(client, admin_user, lang):
    conf = AnalysisSettings.load()
    conf.kpi_weights = {**conf.kpi_weights, "revenue": "2.5"}
    conf.save()
    client.force_login(admin_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    data = page_data(client)
    before = AnalysisSettings.history.count()
    resp = client.post(URL, data)
    assert resp.status_code == 302, resp.context and resp.context["form"].errors
    conf.refresh_from_db()
    assert conf.version == 2 and AnalysisSettings.history.count() == before


def test_save_changes_thresholds_and_weights_with_history(client, admin_user):
    client.force_login(admin_user)
    data = page_data(client)
    data.update(lost_days="90", weight_revenue="3", weight_payments="0", weight_profit="1.5")
    resp = client.post(URL, data)
    assert resp.status_code == 302 and resp["Location"] == URL
    conf = AnalysisSettings.load()
    assert conf.lost_days == 90
    assert conf.kpi_weights["revenue"] == 3 and conf.kpi_weights["payments"] == 0
    assert conf.kpi_weights["profit"] == "1.5"
    assert set(conf.kpi_weights) == set(Indicator.values)
    weights = conf.weights()
    assert "payments" not in weights and weights["profit"] == Decimal("1.5")  # 0: does not count
    assert conf.history.count() == 2 and conf.history.first().history_user == admin_user


def test_form_has_one_weight_per_indicator(client, admin_user):
    client.force_login(admin_user)
    form = client.get(URL).context["form"]
    assert [name for name in form.fields if name.startswith("weight_")] == [f"weight_{c}" for c in Indicator.values]
    assert form["weight_stage_downs"].value() == Decimal("-1")


@pytest.mark.parametrize(("changes", "field"), [
    ({"a_threshold": "96"}, "b_threshold"),
    ({"lost_days": "0"}, "lost_days"),
    ({"lost_days": "x"}, "lost_days"),
    ({"weight_revenue": "abc"}, "weight_revenue"),
    ({"weight_revenue": "1000"}, "weight_revenue"),
    ({"weight_contacts": ""}, "weight_contacts"),
    ({"x_threshold": "30"}, "y_threshold"),
])
def test_bad_input_is_a_400_naming_the_field(client, admin_user, changes, field):
    client.force_login(admin_user)
    data = {**page_data(client), **changes}
    resp = client.post(URL, data)
    assert resp.status_code == 400
    assert field in resp.context["form"].errors
    assert AnalysisSettings.load().version == 1


def test_stale_version_is_refused(client, admin_user):
    client.force_login(admin_user)
    data = page_data(client)
    conf = AnalysisSettings.load()
    conf.lost_days = 120
    conf.save()
    resp = client.post(URL, {**data, "lost_days": "60"})
    assert resp.status_code == 409
    assert AnalysisSettings.load().lost_days == 120
