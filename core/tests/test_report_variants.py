"""Saved report variants (issue 10, item 6): any registered report's filters saved under a name,
private or shared, listed on the report page, opened again, deleted by their owner only. They are
SavedFilter rows with target "report:<slug>", saved and deleted through the list views' URLs."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from clients.tests.factories import CounterpartyFactory
from core import registry
from core.models import SavedFilter
from sales.models import Order
from sales.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

QUERY = "date_from=2025-01-01&date_to=2025-03-31"


def url(slug):
    return reverse("report", args=[slug])


def save(c, slug, name, query=QUERY, shared=False):
    data = {"target": f"report:{slug}", "name": name, "query": query, "back": f"{url(slug)}?{query}"}
    if shared:
        data["shared"] = "on"
    return c.post(reverse("save_filter"), data)


@pytest.mark.parametrize("slug", registry.reports.keys())
def test_every_report_page_offers_save_as_and_lists_variants(slug, manager, client_for):
    c = client_for(manager)
    resp = save(c, slug, "Q1")
    assert resp.status_code == 302 and resp["Location"] == f"{url(slug)}?{QUERY}"
    html = c.get(url(slug)).content.decode()
    assert 'data-testid="report-variant-save"' in html and f'value="report:{slug}"' in html
    assert ">Q1</a>" in html and f'href="{url(slug)}?date_from=2025-01-01&amp;date_to=2025-03-31"' in html


def test_save_lists_own_and_shared_not_others_private(manager, teammate, client_for):
    save(client_for(teammate), "won-lost", "Teammate private")
    save(client_for(teammate), "won-lost", "Teammate shared", shared=True)
    save(client_for(manager), "won-lost", "Mine")
    save(client_for(manager), "funnel", "Other report")
    html = client_for(manager).get(url("won-lost")).content.decode()
    assert "Mine" in html and "Teammate shared" in html
    assert "Teammate private" not in html and "Other report" not in html


def test_same_name_overwrites_and_empty_name_is_refused(manager, client_for):
    c = client_for(manager)
    save(c, "won-lost", "Quarter")
    save(c, "won-lost", "Quarter", query="date_from=2025-04-01&date_to=2025-06-30", shared=True)
    variant = SavedFilter.objects.get(user=manager, target="report:won-lost")
    assert variant.query == "date_from=2025-04-01&date_to=2025-06-30" and variant.shared
    resp = save(c, "won-lost", "   ")
    assert resp.status_code == 302
    assert any("name" in str(m) for m in get_messages(resp.wsgi_request))
    assert SavedFilter.objects.filter(user=manager).count() == 1


def test_opening_a_variant_applies_its_filters(manager, client_for):
    c = client_for(manager)
    save(c, "won-lost", "Q1")
    resp = c.get(url("won-lost") + "?" + QUERY)  # the variant's link
    form = resp.context["form"]
    assert (form.cleaned_data["date_from"], form.cleaned_data["date_to"]) == (
        datetime.date(2025, 1, 1), datetime.date(2025, 3, 31))
    # a variant saved on the defaults opens them (its link resets the remembered filters)
    save(c, "won-lost", "Defaults", query="")
    assert f'href="{url("won-lost")}?reset=1">Defaults' in c.get(url("won-lost")).content.decode()


def test_only_the_owner_deletes_a_variant(manager, teammate, client_for):
    save(client_for(manager), "won-lost", "Shared", shared=True)
    variant = SavedFilter.objects.get(user=manager)
    other = client_for(teammate)
    delete_form = f'action="{reverse("delete_filter", args=[variant.pk])}"'
    assert delete_form not in other.get(url("won-lost")).content.decode()
    assert other.post(reverse("delete_filter", args=[variant.pk]), {"back": url("won-lost")}).status_code == 404
    assert SavedFilter.objects.filter(pk=variant.pk).exists()
    owner = client_for(manager)
    assert owner.post(reverse("delete_filter", args=[variant.pk]), {"back": url("won-lost")}).status_code == 302
    assert not SavedFilter.objects.filter(pk=variant.pk).exists()


def test_a_shared_variant_shows_the_viewers_data_only(manager, teammate, client_for):
    """A variant stores filters, not data: the teammate opening it sees their own clients only."""
    for prefix, user in [("Alpha", manager), ("Zulu", teammate)]:
        cp = CounterpartyFactory(name=f"{prefix} Trading", main_manager=user)
        OrderFactory(counterparty=cp, responsible=user, date=datetime.date(2025, 2, 1),
                     state=Order.State.CONFIRMED, amount=1000, cost=600)
    query = "date_from=2025-01-01&date_to=2025-12-31"
    save(client_for(manager), "profitability", "Year", query=query, shared=True)
    html = client_for(teammate).get(url("profitability") + "?" + query).content.decode()
    assert ">Year</a>" in html and "Zulu Trading" in html and "Alpha Trading" not in html
