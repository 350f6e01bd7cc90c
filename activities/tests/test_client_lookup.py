"""The client type-ahead: suggestions by name, tax id or phone within the user's scope, and a
typed name resolved on save (unique → the client; ambiguous, unknown or a teammate's → an error)."""

import pytest
from django.urls import reverse

from activities.models import Task
from clients.tests.factories import ContactInfoFactory, CounterpartyFactory

pytestmark = pytest.mark.django_db


def suggest(c, q):
    return c.get(reverse("clients:lookup"), {"q": q, "listbox": "id_counterparty-listbox"}).content.decode()


@pytest.fixture
def two_romashkas(manager, teammate):
    mine = CounterpartyFactory(main_manager=manager, name="Ромашка", tax_id="7707083893", city="Тверь")
    ContactInfoFactory(counterparty=mine, value="+7 495 123-45-67")
    theirs = CounterpartyFactory(main_manager=teammate, name="Ромашка Плюс", tax_id="7707083894")
    ContactInfoFactory(counterparty=theirs, value="+7 495 123-45-68")
    return mine, theirs


@pytest.mark.parametrize("query", ["ромаш", "7707083893", "8 (495) 123-45-67", "4951234567"])
def test_suggests_by_name_tax_id_or_phone_never_a_teammates(two_romashkas, manager, client_for, query):
    mine, theirs = two_romashkas
    body = suggest(client_for(manager), query)
    assert f'data-id="{mine.pk}" data-name="Ромашка"' in body
    assert "7707083893 · Тверь" in body  # namesakes told apart
    assert "Ромашка Плюс" not in body and str(theirs.tax_id) not in body


def test_short_or_unknown_query_suggests_nothing(two_romashkas, manager, client_for):
    assert "data-id" not in suggest(client_for(manager), "р")
    assert "Nothing found" in suggest(client_for(manager), "лютик")


def task_post(c, **data):
    return c.post(reverse("activities:task_add"), {
        "title": "Позвонить", "assignee": c.user.pk, "deadline": "2026-03-02T10:00", "importance": "normal",
        "state": "open", **data})


@pytest.fixture
def c(manager, client_for):
    c = client_for(manager)
    c.user = manager
    return c


def test_chosen_id_is_saved_and_the_form_shows_only_the_name(two_romashkas, c):
    mine, _theirs = two_romashkas
    assert task_post(c, counterparty=str(mine.pk), counterparty_name="Ромашка").status_code == 302
    task = Task.objects.get()
    assert task.counterparty == mine
    page = c.get(reverse("activities:task_edit", args=[task.pk])).content.decode()
    assert f'name="counterparty" value="{mine.pk}"' in page and 'value="Ромашка"' in page
    assert f"{mine.pk} · " not in page


@pytest.mark.parametrize("typed", ["ромашка", "7707083893", "РОМАШ"])
def test_unique_typed_name_or_tax_id_resolves(two_romashkas, c, typed):
    mine, _theirs = two_romashkas
    assert task_post(c, counterparty="", counterparty_name=typed).status_code == 302
    assert Task.objects.get().counterparty == mine


def test_ambiguous_typed_name_is_an_error_naming_the_field(manager, c):
    CounterpartyFactory(main_manager=manager, name="Ромашка Север")
    CounterpartyFactory(main_manager=manager, name="Ромашка Юг")
    resp = task_post(c, counterparty_name="Ромашка")
    assert resp.status_code == 400
    assert resp.context["form"].errors["counterparty"] == [
        "Several clients match «Ромашка»: choose one from the list."]
    assert 'value="Ромашка"' in resp.content.decode()  # what was typed stays in the box
    assert not Task.objects.exists()


@pytest.mark.parametrize("typed", ["Лютик", "Ромашка Плюс", "7707083894"])
def test_unknown_or_teammates_typed_name_is_an_error(two_romashkas, c, typed):
    resp = task_post(c, counterparty_name=typed)
    assert resp.status_code == 400
    assert resp.context["form"].errors["counterparty"] == [f"No client matches «{typed}»: choose one from the list."]
    assert not Task.objects.exists()


def test_reshown_form_never_names_a_teammates_client(two_romashkas, c):
    _mine, theirs = two_romashkas
    resp = task_post(c, counterparty=str(theirs.pk), counterparty_name="x")
    assert resp.status_code == 400 and "Ромашка Плюс" not in resp.content.decode()
