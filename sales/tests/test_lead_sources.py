"""Lead sources as a reference list (issue 11): built-in rows, the deal's link to one (form, filters,
API), the migration of the old free-text lead source, and a source in use is not deleted."""

import re

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse
from django.utils import timezone, translation

from clients.tests.factories import CounterpartyFactory
from core import rollups
from sales.models import Deal, LeadSource, Pipeline
from sales.tests.factories import DealFactory, default_stages

NO_LINES = {"lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"}
BEFORE, DATA, AFTER = ("sales", "0011_leadsource"), ("sales", "0012_lead_sources_from_text"), \
    ("sales", "0013_deal_lead_source_link")


@pytest.fixture
def stages(db):
    return default_stages()  # ensure_default() also brings the built-in lead sources back


@pytest.fixture
def website(stages):
    return LeadSource.objects.get(code="website")


# --- Built-in rows ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_builtin_sources_exist_in_order(stages):
    assert list(LeadSource.objects.values_list("code", flat=True)) == [
        "website", "advertising", "recommendation", "exhibition", "cold_call", "email", "social", "repeat", "other"]


@pytest.mark.django_db
def test_builtin_source_name_in_the_active_language(website):
    with translation.override("en"):
        assert str(LeadSource.objects.get(pk=website.pk)) == "Website"
    with translation.override("ru"):
        # The catalog's translation once there is one, the old Russian name until then.
        assert str(LeadSource.objects.get(pk=website.pk)) in {"Сайт", translation.gettext("Website")} - {"Website"}


# --- The deal form and list ------------------------------------------------------------------------

@pytest.mark.django_db
def test_deal_form_offers_live_sources_and_saves_the_link(client_for, manager, stages, website):
    gone = LeadSource.objects.create(name="Old fair")
    gone.delete()
    cp = CounterpartyFactory(main_manager=manager)
    c = client_for(manager)
    page = c.get(reverse("sales:deal_add")).content.decode()
    select = re.search(r'<select name="lead_source".*?</select>', page, re.S).group(0)  # not another select's ids
    assert f'<option value="{website.pk}"' in select and f'<option value="{gone.pk}"' not in select
    data = {"title": "Cold room", "counterparty": cp.pk, "stage": stages[0].pk, "amount": "100",
            "currency": "RUB", "responsible": manager.pk, **NO_LINES}
    assert c.post(reverse("sales:deal_add"), {**data, "lead_source": gone.pk}).status_code == 400
    response = c.post(reverse("sales:deal_add"), {**data, "lead_source": website.pk})
    assert response.status_code == 302
    deal = Deal.objects.get(title="Cold room")
    assert deal.lead_source == website
    assert deal.history.latest().lead_source_id == website.pk
    # The deal's page shows the source selected.
    page = c.get(deal.get_absolute_url()).content.decode()
    assert f'<option value="{website.pk}" selected>' in page


@pytest.mark.django_db
def test_deal_list_filters_by_lead_source(client_for, sales_head, stages, website):
    fair = LeadSource.objects.get(code="exhibition")
    DealFactory(title="From the site", responsible=sales_head, lead_source=website)
    DealFactory(title="From the fair", responsible=sales_head, lead_source=fair)
    DealFactory(title="From nowhere", responsible=sales_head)
    c = client_for(sales_head)
    page = c.get(reverse("sales:deal_list"), {"lead_source": website.pk}).content.decode()
    assert "From the site" in page and "From the fair" not in page and "From nowhere" not in page
    page = c.get(reverse("sales:deal_list"), {"lead_source": [website.pk, fair.pk]}).content.decode()
    assert "From the site" in page and "From the fair" in page and "From nowhere" not in page


# --- API -------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_api_sets_and_filters_by_lead_source(api, manager, stages, website):
    cp = CounterpartyFactory(main_manager=manager)
    client = api(manager)
    body = {"counterparty": cp.pk, "title": "Showcase", "amount": "10.00", "stage": stages[0].pk}
    response = client.post("/api/deals/", {**body, "lead_source": website.pk}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["lead_source"] == website.pk
    DealFactory(responsible=manager, counterparty=cp, title="No source")
    ids = [row["title"] for row in client.get("/api/deals/", {"lead_source": website.pk}).json()["results"]]
    assert ids == ["Showcase"]
    # Everyone reads the list; the built-in name is translated there too.
    names = {row["code"]: row["name"] for row in client.get("/api/lead-sources/").json()["results"]}
    assert names["cold_call"] == "Cold call"


@pytest.mark.django_db
def test_api_refuses_an_unknown_or_trashed_source_naming_the_field(api, manager, stages):
    gone = LeadSource.objects.create(name="Old fair")
    gone.delete()
    cp = CounterpartyFactory(main_manager=manager)
    body = {"counterparty": cp.pk, "title": "Showcase", "amount": "10.00", "stage": stages[0].pk}
    for pk in (gone.pk, 999_999):
        response = api(manager).post("/api/deals/", {**body, "lead_source": pk}, format="json")
        assert response.status_code == 400 and list(response.json()) == ["lead_source"], response.json()
    assert not Deal.objects.filter(title="Showcase").exists()


@pytest.mark.django_db
def test_only_administrators_change_the_list_through_the_api(api, manager, admin_user, stages):
    assert api(manager).post("/api/lead-sources/", {"name": "Fair"}).status_code == 403
    assert api(admin_user).post("/api/lead-sources/", {"name": "Fair"}).status_code == 201


@pytest.mark.django_db
def test_a_source_used_by_a_deal_is_not_deleted(api, admin_user, client_for, stages, website):
    deal = DealFactory(responsible=admin_user, lead_source=website)
    url = reverse("sales:leadsource_delete", args=[website.pk])
    assert client_for(admin_user).post(url).status_code == 409
    resp = api(admin_user).delete(f"/api/lead-sources/{website.pk}/")
    assert resp.status_code == 409 and resp.json()["code"] == "in_use"
    assert LeadSource.objects.filter(pk=website.pk).exists()
    deal.delete()
    assert client_for(admin_user).post(url).status_code == 302
    assert not LeadSource.objects.filter(pk=website.pk).exists()


# --- Migration of the free-text lead source --------------------------------------------------------

def restore_later_columns(*models):
    """SQLite unapplies 0013 by rebuilding the deal tables as they were then: columns added by later
    migrations (e.g. 0015's furthest stage) are lost for the tests that come after. Put them back."""
    with connection.cursor() as cursor:
        present = {m: {c.name for c in connection.introspection.get_table_description(cursor, m._meta.db_table)}
                   for m in models}
    with connection.schema_editor() as editor:
        for model in models:
            for field in model._meta.local_concrete_fields:
                if field.column not in present[model]:
                    editor.add_field(model, field)


@pytest.mark.django_db(transaction=True)
def test_migration_turns_the_text_into_links(manager):
    """The real 0012 and 0013 on the live schema. Only 0013 is reversed (by hand, not through the
    executor): migrating the graph back to 0011 would unapply every later app too (~55 s)."""
    stage = Pipeline.ensure_default().first_stage()
    cp = CounterpartyFactory(main_manager=manager)
    loader = MigrationLoader(connection)
    data, link = loader.get_migration(*DATA), loader.get_migration(*AFTER)
    before_data, before_link = loader.project_state(BEFORE), loader.project_state(DATA)
    rollups.drop_all(connection)  # as migrate does on SQLite (core.rollups)
    with connection.schema_editor() as editor:
        link.unapply(before_link, editor)
    try:
        old = before_link.apps
        OldDeal, OldHistory = old.get_model("sales", "Deal"), old.get_model("sales", "HistoricalDeal")
        old.get_model("sales", "LeadSource").objects.all().delete()  # as right after 0011
        texts = {"legacy": "Холодный звонок", "caps": "  WEBSITE ", "lower": "website", "new": "Выставка «Продэкспо»",
                 "new again": " выставка «ПРОДЭКСПО»", "empty": "", "blank": "   "}
        now, ids = timezone.now(), {}
        for title, text in texts.items():
            deal = OldDeal.objects.create(counterparty_id=cp.pk, responsible_id=manager.pk, stage_id=stage.pk,
                                          title=title, lead_source=text, currency="RUB")
            ids[title] = deal.pk
            for history_text in (text, "Ушёл в историю"):  # a text only history knows
                OldHistory.objects.create(
                    id=deal.pk, counterparty_id=cp.pk, responsible_id=manager.pk, stage_id=stage.pk, title=title,
                    lead_source=history_text, currency="RUB", created_at=now, updated_at=now, history_date=now,
                    history_type="~")
        with connection.schema_editor(atomic=data.atomic) as editor:
            data.apply(before_data, editor)
    finally:
        with connection.schema_editor() as editor:
            link.apply(before_link, editor)
        restore_later_columns(Deal, Deal.history.model)
        rollups.ensure(connection)

    def source(title):
        return Deal.all_objects.get(pk=ids[title]).lead_source

    assert source("legacy").code == "cold_call"  # the Russian name of a built-in
    assert source("caps").code == source("lower").code == "website"  # the English one, any case
    new = source("new")
    assert (new.code, new.name) == ("", "Выставка «Продэкспо»")  # unknown: a custom row, trimmed
    assert source("new again") == new  # the same text in another case: the same row
    assert source("empty") is None and source("blank") is None
    assert LeadSource.objects.filter(code="").count() == 1
    assert LeadSource.objects.exclude(code="").count() == 9  # the built-ins
    history = Deal.history.model.objects
    assert history.get(id=ids["legacy"], lead_source__isnull=False).lead_source.code == "cold_call"
    assert history.filter(id=ids["new again"], lead_source=new).exists()
    assert not LeadSource.objects.filter(name="Ушёл в историю").exists()
    assert history.filter(lead_source__isnull=True).count() == len(texts) + 2  # history-only texts, empties
