"""Issue 9, item 6, 7 and two of 9: no raw ids, codes or None in the UI; error pages people read."""

import pytest
from django.test import Client, override_settings
from django.urls import path, reverse
from django.utils import translation

from activities.models import Interaction
from activities.tests.factories import InteractionFactory, interaction_type
from clients.models import Counterparty
from clients.tests.factories import CounterpartyFactory
from clients.tests.test_views import form_data
from clients.validators import clean_tax_id
from core import history
from core.tests.factories import CustomPropertyFactory, UserFactory
from core.urls import urlpatterns as core_urlpatterns
from sales.tests.factories import DealFactory

pytestmark = pytest.mark.django_db


def client_in(user, language):
    c = Client(raise_request_exception=False)
    if user is not None:
        c.force_login(user)
    c.cookies["django_language"] = language
    return c


# --- Item 6: ids and codes in the list sidebars ------------------------------------------------

def test_counterparty_id_filter_shows_the_clients_name_not_an_id_box(manager):
    cp = CounterpartyFactory(main_manager=manager, name="ООО Лютик")
    interaction = InteractionFactory(responsible=manager, counterparty=cp)
    InteractionFactory(responsible=manager)
    url = reverse("activities:interaction_list")
    body = client_in(manager, "en").get(url, {"counterparty": cp.pk}).content.decode()
    assert "Counterparty id" not in body and "Type code" not in body
    assert f'<input type="hidden" name="counterparty" value="{cp.pk}"' in body
    assert 'data-testid="chosen-counterparty"' in body and "ООО Лютик" in body
    assert interaction.subject in body  # the filter still applies
    # Nothing chosen: no id box, no label.
    plain = client_in(manager, "en").get(url).content.decode()
    assert 'name="counterparty"' in plain and 'data-testid="chosen-counterparty"' not in plain
    assert 'type="number" name="counterparty"' not in plain


def test_chosen_object_name_respects_access(manager, teammate):
    hidden = CounterpartyFactory(main_manager=teammate, name="ООО Чужой")
    body = client_in(manager, "en").get(reverse("sales:deal_list"), {"counterparty": hidden.pk}).content.decode()
    assert "ООО Чужой" not in body and f"#{hidden.pk}" in body


def test_type_code_filter_is_shown_by_type_name(manager):
    interaction_type("outgoing_call")
    body = client_in(manager, "en").get(reverse("activities:interaction_list"),
                                        {"type_code": "outgoing_call"}).content.decode()
    assert 'name="type_code" value="outgoing_call"' in body and 'data-testid="chosen-type_code"' in body
    assert "Type code" not in body


def test_sales_lists_have_no_id_boxes(manager):
    cp = CounterpartyFactory(main_manager=manager)
    deal = DealFactory(counterparty=cp, responsible=manager)
    for name in ("sales:deal_list", "sales:order_list"):
        body = client_in(manager, "en").get(reverse(name), {"counterparty": cp.pk}).content.decode()
        assert "Client id" not in body and "Deal id" not in body and cp.name in body
    body = client_in(manager, "en").get(reverse("sales:order_list"), {"deal": deal.pk}).content.decode()
    assert deal.title in body and 'data-testid="chosen-deal"' in body


# --- Item 6: the conflict table -----------------------------------------------------------------

def test_conflict_table_shows_labels_and_display_values(head):
    other = UserFactory(first_name="Иван", last_name="Соседов")
    cp = CounterpartyFactory(main_manager=head, city="Москва", is_client=True)
    stale = form_data(cp, city="Тверь", main_manager=head.pk, is_supplier="on")
    fresh = Counterparty.objects.get(pk=cp.pk)
    fresh.city = "Химки"
    fresh.is_supplier = True
    fresh.save()
    fresh.shared_with.set([other])
    resp = client_in(head, "en").post(reverse("clients:counterparty_edit", args=[cp.pk]), stale)
    assert resp.status_code == 409
    rows = resp.context["conflict_changes"]
    labels = [str(r["label"]) for r in rows]
    assert None not in [r["label"] for r in rows] and "Version" not in labels  # no "None 1 2 1"
    by_label = {str(r["label"]).lower(): r for r in rows}
    assert by_label["city"]["before"] == "Москва" and by_label["city"]["theirs"] == "Химки"
    assert by_label["city"]["mine"] == "Тверь"
    supplier = next(r for label, r in by_label.items() if "supplier" in label)
    assert (supplier["before"], supplier["theirs"], supplier["mine"]) == ("No", "Yes", "Yes")
    shared = next(r for label, r in by_label.items() if "shared" in label or "also" in label)
    assert str(other) in shared["theirs"] and shared["mine"] == "—"
    body = resp.content.decode()
    assert "core.User.None" not in body and "None" not in body.split('data-testid="conflict"')[1]
    # Unchanged fields are not listed.
    assert not any("name" == label.lower() for label in labels)


# --- Item 6: custom properties in the history ---------------------------------------------------

@pytest.fixture
def properties(db):
    return {
        "own_warehouse": CustomPropertyFactory(code="own_warehouse", name="Есть собственный склад", kind="boolean"),
        "service_engineer": CustomPropertyFactory(code="service_engineer", name="Сервисный инженер", kind="user"),
        "first_contact": CustomPropertyFactory(code="first_contact", name="Дата первого контакта", kind="date"),
    }


def test_property_changes_in_history_use_names_and_display_values(manager, properties, client_for):
    engineer = UserFactory(first_name="Пётр", last_name="Инженеров")
    cp = CounterpartyFactory(main_manager=manager, properties={"own_warehouse": False})
    cp.properties = {"own_warehouse": True, "service_engineer": engineer.pk, "first_contact": "2025-03-04"}
    cp.save()
    with translation.override("en"):
        changes = history.entries(list(Counterparty.history.filter(id=cp.pk)))[0]["changes"]
        shown = {str(c["field"]): (str(c["old"]), str(c["new"])) for c in changes}
    assert shown["Есть собственный склад"] == ("No", "Yes")
    assert shown["Сервисный инженер"] == ("—", str(engineer))
    assert shown["Дата первого контакта"][1] == "03/04/2025"
    body = client_for(manager).get(reverse("clients:counterparty_history", args=[cp.pk])).content.decode()
    assert "own_warehouse" not in body and "service_engineer" not in body and str(engineer) in body


# --- Item 6: the interactions tab of a client card ----------------------------------------------

def test_card_tab_names_past_interactions_with_column_headers(manager):
    cp = CounterpartyFactory(main_manager=manager)
    InteractionFactory(responsible=manager, counterparty=cp, state=Interaction.State.DONE, subject="Звонок")
    body = client_in(manager, "ru").get(reverse("activities:card_interactions", args=[cp.pk])).content.decode()
    assert "История изменений" not in body and 'data-testid="past-interactions"' in body
    en = client_in(manager, "en").get(reverse("activities:card_interactions", args=[cp.pk])).content.decode()
    assert "Past interactions" in en and "<thead>" in en and ">Subject</th>" in en and ">Responsible</th>" in en


# --- Item 7: error pages ------------------------------------------------------------------------

def boom(request):
    raise RuntimeError("boom")


urlpatterns = [*core_urlpatterns, path("boom/", boom)]


def test_404_in_russian_inside_the_layout(manager):
    resp = client_in(manager, "ru").get("/no-such-page/")
    assert resp.status_code == 404
    body = resp.content.decode()
    assert "Страница не найдена" in body and 'data-testid="current-user"' in body  # the navbar
    assert 'data-testid="error-home"' in body and '<html lang="ru">' in body


def test_404_for_a_hidden_record_and_anonymous(manager, teammate):
    cp = CounterpartyFactory(main_manager=teammate)
    resp = client_in(manager, "ro").get(reverse("clients:counterparty", args=[cp.pk]))
    assert resp.status_code == 404 and "Pagină inexistentă" in resp.content.decode()


def test_403_in_the_users_language(quality):
    resp = client_in(quality, "ru").get(reverse("clients:counterparty_add"))
    assert resp.status_code == 403
    body = resp.content.decode()
    assert "Ошибка доступа" in body and 'data-testid="current-user"' in body


@override_settings(ROOT_URLCONF=__name__)
def test_500_renders_the_standalone_template(manager):
    c = client_in(None, "ru")
    resp = c.get("/boom/")
    assert resp.status_code == 500
    body = resp.content.decode()
    assert "Ошибка сервера" in body and 'data-testid="error-home"' in body and "bootstrap" in body


def test_500_template_needs_no_database_or_request(django_assert_num_queries):
    from django.template import loader

    with translation.override("ro"), django_assert_num_queries(0):
        html = loader.get_template("500.html").render()
    assert "Eroare de server" in html or "Server error" in html


def test_csrf_failure_is_a_page_in_the_users_language(manager):
    c = Client(enforce_csrf_checks=True)
    c.force_login(manager)
    c.cookies["django_language"] = "en"
    resp = c.post(reverse("logout"))
    assert resp.status_code == 403
    assert "The form has expired" in resp.content.decode()


# --- Item 9: tax id named by the country; region / city -----------------------------------------

@pytest.mark.parametrize("language", ["ru", "en", "ro"])
def test_romanian_cui_error_does_not_say_inn(language):
    from django.core.exceptions import ValidationError

    with translation.override(language), pytest.raises(ValidationError) as exc:
        clean_tax_id("RO18547291", "RO", "legal")
    message = " ".join(exc.value.messages)
    assert "CUI" in message and "ИНН" not in message and "INN" not in message
    with translation.override(language), pytest.raises(ValidationError) as exc:
        clean_tax_id("123", "MD", "legal")
    assert "IDNO" in " ".join(exc.value.messages)


def test_card_region_city_shows_only_what_exists(manager, client_for):
    cp = CounterpartyFactory(main_manager=manager, city="Москва", region=None)
    body = client_for(manager).get(cp.get_absolute_url()).content.decode()
    assert "—, Москва" not in body
    assert '<dd class="col-sm-8" data-testid="region-city">Москва</dd>' in body
    empty = CounterpartyFactory(main_manager=manager, city="", region=None)
    body = client_for(manager).get(empty.get_absolute_url()).content.decode()
    assert '<dd class="col-sm-8" data-testid="region-city">—</dd>' in body
