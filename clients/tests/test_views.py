"""Client base UI: list, search, filters, export, card, edit, wizard, batch, trash."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from clients.models import ContactInfo, ContactKind, ContactPerson, Counterparty
from clients.tests.factories import (
    ContactInfoFactory,
    ContactPersonFactory,
    CounterpartyFactory,
    GroupFactory,
    valid_inn,
)
from core.models import CustomProperty, SavedFilter

pytestmark = pytest.mark.django_db
LIST = reverse("clients:counterparty_list")


def names(resp):
    return {cp.name for cp, _cells in resp.context["table"].body()}


def test_list_shows_manager_only_own_clients(manager, teammate, client_for):
    CounterpartyFactory(main_manager=manager, name="Мой клиент")
    CounterpartyFactory(main_manager=teammate, name="Чужой клиент")
    resp = client_for(manager).get(LIST)
    assert names(resp) == {"Мой клиент"}
    assert "Чужой клиент" not in resp.content.decode()


@pytest.mark.parametrize("query", ["8 (903) 523-66-45", "+7 903 523 66 45", "9035236645", "523-66-45"])
def test_quick_search_by_phone_in_any_format(manager, client_for, query):
    cp = CounterpartyFactory(main_manager=manager, name="Ромашка")
    ContactInfoFactory(counterparty=cp, kind=ContactKind.PHONE, value="+79035236645")
    CounterpartyFactory(main_manager=manager, name="Лютик")
    assert names(client_for(manager).get(LIST, {"q": query})) == {"Ромашка"}


def test_quick_search_by_name_tax_email_and_person(manager, client_for):
    cp = CounterpartyFactory(main_manager=manager, name="ООО «Северный Полюс»", tax_id=valid_inn(42))
    ContactInfoFactory(counterparty=cp, kind=ContactKind.EMAIL, value="zakaz@polus.ru")
    ContactPersonFactory(counterparty=cp, last_name="Кузнецова", first_name="Анна")
    CounterpartyFactory(main_manager=manager, name="Другой", tax_id=valid_inn(4242))
    c = client_for(manager)
    for query in ["северный", "ПОЛЮС", valid_inn(42), "zakaz@polus", "кузнецова анна"]:
        assert names(c.get(LIST, {"q": query})) == {"ООО «Северный Полюс»"}, query


def test_search_does_not_leak_other_managers_clients(manager, teammate, client_for):
    cp = CounterpartyFactory(main_manager=teammate, name="Секретный")
    ContactInfoFactory(counterparty=cp, value="+79035236645")
    assert names(client_for(manager).get(LIST, {"q": "Секретный"})) == set()
    assert names(client_for(manager).get(LIST, {"q": "89035236645"})) == set()


def test_filters_on_fields_and_group_subtree(head, client_for):
    parent = GroupFactory(name="Покупатели")
    child = GroupFactory(name="Магазины", parent=parent)
    CounterpartyFactory(name="В магазинах", group=child, city="Москва")
    CounterpartyFactory(name="Без группы", city="Тверь")
    c = client_for(head)
    assert names(c.get(LIST, {"group": parent.pk})) == {"В магазинах"}
    assert names(c.get(LIST, {"city": "Тверь"})) == {"Без группы"}
    assert names(c.get(LIST, {"no_manager": "true"})) == {"В магазинах", "Без группы"}


def test_filters_on_custom_properties(head, client_for):
    CustomProperty.objects.create(name="Сфера", code="sphere", kind="choice", choices=["Ритейл", "Общепит"])
    CustomProperty.objects.create(name="Интересуется", code="interest", kind="multi",
                                  choices=["витрины", "камеры", "монтаж"])
    CustomProperty.objects.create(name="Сотрудников", code="staff", kind="number")
    CustomProperty.objects.create(name="Склад", code="stock", kind="boolean")
    CounterpartyFactory(name="A", properties={"sphere": "Ритейл", "interest": ["витрины", "монтаж"],
                                              "staff": 120, "stock": True})
    CounterpartyFactory(name="B", properties={"sphere": "Общепит", "interest": ["камеры"], "staff": 8})
    c = client_for(head)
    assert names(c.get(LIST, {"prop_sphere": "Ритейл"})) == {"A"}
    assert names(c.get(LIST, {"prop_interest": "камеры"})) == {"B"}
    assert names(c.get(LIST, {"prop_interest": "монтаж"})) == {"A"}
    assert names(c.get(LIST, {"prop_staff_min": "10"})) == {"A"}
    assert names(c.get(LIST, {"prop_staff_max": "10"})) == {"B"}
    assert names(c.get(LIST, {"prop_stock": "true"})) == {"A"}


def test_sorting_and_keyset_pages(head, client_for):
    for i in range(30):
        CounterpartyFactory(name=f"Клиент {i:02d}")
    c = client_for(head)
    first = c.get(LIST, {"per_page": 25})
    rows = [cp.name for cp, _ in first.context["table"].body()]
    assert rows == sorted(rows) and len(rows) == 25
    second = c.get(LIST, {"per_page": 25, "cursor": first.context["page"].next_cursor})
    assert [cp.name for cp, _ in second.context["table"].body()] == [f"Клиент {i:02d}" for i in range(25, 30)]
    desc = c.get(LIST, {"sort": "-name"})
    assert next(iter(desc.context["table"].body()))[0].name == "Клиент 29"


def test_list_never_counts_the_table(head, client_for, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):
        ContactInfoFactory(counterparty=CounterpartyFactory())
    with CaptureQueriesContext(connection) as ctx:
        client_for(head).get(LIST)
    assert not [q for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]


@pytest.mark.parametrize("rows", [3, 30])
def test_list_query_count_is_bounded(head, client_for, django_assert_max_num_queries, rows):
    for _ in range(rows):
        cp = CounterpartyFactory(group=GroupFactory(), main_manager=head)
        ContactInfoFactory(counterparty=cp)
    c = client_for(head)
    with django_assert_max_num_queries(12):
        c.get(LIST)


def test_export_csv_and_xlsx_are_scoped_and_neutralised(manager, teammate, client_for):
    CounterpartyFactory(main_manager=manager, name="=HYPERLINK(\"http://evil\")")
    CounterpartyFactory(main_manager=manager, name="Нормальный")
    CounterpartyFactory(main_manager=teammate, name="Чужой")
    c = client_for(manager)
    resp = c.get(LIST, {"export": "csv"})
    text = b"".join(resp.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    exported = {r[0] for r in rows[1:]}
    assert exported == {"'=HYPERLINK(\"http://evil\")", "Нормальный"}
    resp = c.get(LIST, {"export": "xlsx", "q": "нормальный"})
    sheet = load_workbook(io.BytesIO(resp.content)).active
    values = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert values[1:] == ["Нормальный"]


def test_saved_filters_are_per_user_unless_shared(manager, teammate, client_for):
    c = client_for(manager)
    c.post(reverse("save_filter"), {"name": "Москва", "target": "clients.counterparty",
                                   "query": "city=Москва", "back": LIST})
    assert SavedFilter.objects.get(user=manager).query == "city=Москва"
    assert list(client_for(teammate).get(LIST).context["saved_filters"]) == []
    assert [f.name for f in c.get(LIST).context["saved_filters"]] == ["Москва"]


def test_card_tabs_and_bounded_queries(manager, client_for, django_assert_max_num_queries):
    cp = CounterpartyFactory(main_manager=manager, properties={"sphere": "Ритейл"})
    CustomProperty.objects.create(name="Сфера", code="sphere", kind="choice", choices=["Ритейл"])
    for _ in range(4):
        person = ContactPersonFactory(counterparty=cp)
        ContactInfoFactory(counterparty=cp, contact_person=person, kind=ContactKind.EMAIL, value="a@b.ru")
    c = client_for(manager)
    with django_assert_max_num_queries(15):
        resp = c.get(cp.get_absolute_url())
    body = resp.content.decode()
    assert "Ритейл" in body and "a@b.ru" in body
    with django_assert_max_num_queries(15):
        assert c.get(reverse("clients:counterparty_history", args=[cp.pk])).status_code == 200


def form_data(cp=None, **fields):
    data = {
        "kind": "legal", "name": "ООО Новый клиент", "full_name": "", "country": "RU", "tax_id": "",
        "kpp": "", "ogrn": "", "okpo": "", "city": "", "industry_segment": "", "notes": "",
        "delivery_terms": "", "is_client": "on",
        "info-TOTAL_FORMS": "1", "info-INITIAL_FORMS": "0",
        "info-0-kind": "phone", "info-0-value": "8 (903) 523-66-45", "info-0-comment": "",
        "person-TOTAL_FORMS": "1", "person-INITIAL_FORMS": "0",
        "person-0-last_name": "Петров", "person-0-first_name": "Пётр", "person-0-middle_name": "",
        "person-0-position": "директор", "person-0-birthday": "1980-05-17",
        "item-TOTAL_FORMS": "0", "item-INITIAL_FORMS": "0",
    }
    if cp is not None:
        data.update({"version": cp.version, "name": cp.name, "tax_id": cp.tax_id,
                     "info-TOTAL_FORMS": "0", "person-TOTAL_FORMS": "0"})
    data.update(fields)
    return data


def test_create_with_inline_contacts_owned_by_creator(manager, client_for):
    resp = client_for(manager).post(reverse("clients:counterparty_add"), form_data())
    assert resp.status_code == 302, resp.content.decode()
    cp = Counterparty.objects.get(name="ООО Новый клиент")
    assert cp.main_manager == manager
    assert cp.contact_info.get().value == "+79035236645"
    assert cp.contact_persons.get().last_name == "Петров"
    assert "79035236645" in cp.search_text and "петров" in cp.search_text


def test_create_rejects_bad_input_and_saves_nothing(manager, client_for):
    resp = client_for(manager).post(reverse("clients:counterparty_add"),
                                    form_data(tax_id="7707083894", **{"info-0-value": "12"}))
    assert resp.status_code == 400
    assert resp.context["form"].errors["tax_id"]
    assert resp.context["formsets"]["infos"].forms[0].errors["value"]
    assert not Counterparty.objects.exists() and not ContactInfo.objects.exists()


def test_sales_manager_cannot_assign_another_manager(manager, teammate, client_for):
    client_for(manager).post(reverse("clients:counterparty_add"), form_data(main_manager=teammate.pk))
    assert Counterparty.objects.get().main_manager == manager


def test_new_client_warns_about_duplicates_before_saving(manager, teammate, client_for):
    other = CounterpartyFactory(main_manager=teammate, name="ООО «Новый Клиент»")
    ContactInfoFactory(counterparty=other, value="+79035236645")
    c = client_for(manager)
    resp = c.post(reverse("clients:counterparty_add"), form_data())
    assert resp.status_code == 400
    dup = resp.context["duplicates"][0]
    assert dup["counterparty"] == other and set(dup["reasons"]) == {"contact", "name"}
    assert not dup["visible"]  # another manager's client: reported, not opened
    assert "A counterparty you have no access to" in resp.content.decode()
    assert Counterparty.objects.count() == 1
    resp = c.post(reverse("clients:counterparty_add"), form_data(confirm_new="on"))
    assert resp.status_code == 302
    assert Counterparty.objects.count() == 2


def test_duplicate_check_endpoint_for_htmx(manager, client_for):
    CounterpartyFactory(main_manager=manager, name="Ромашка", tax_id=valid_inn(7))
    resp = client_for(manager).post(reverse("clients:duplicates"), {"name": "ромашка", "tax_id": valid_inn(7)})
    assert resp.status_code == 200
    assert "Ромашка" in resp.content.decode() and "same tax id" in resp.content.decode()


def test_edit_conflict_shows_other_users_change_and_keeps_it(manager, head, client_for):
    cp = CounterpartyFactory(main_manager=manager, city="Москва")
    stale = form_data(cp, city="Тверь")
    fresh = Counterparty.objects.get(pk=cp.pk)
    fresh.city = "Химки"
    fresh.save()
    resp = client_for(manager).post(reverse("clients:counterparty_edit", args=[cp.pk]), stale)
    assert resp.status_code == 409
    body = resp.content.decode()
    assert "Someone else has changed this record" in body and "Химки" in body and "Тверь" in body
    assert Counterparty.objects.get(pk=cp.pk).city == "Химки"


def test_edit_records_history_shown_on_card(manager, client_for):
    cp = CounterpartyFactory(main_manager=manager, city="Москва")
    c = client_for(manager)
    resp = c.post(reverse("clients:counterparty_edit", args=[cp.pk]), form_data(cp, city="Химки"))
    assert resp.status_code == 302
    history = c.get(reverse("clients:counterparty_history", args=[cp.pk])).content.decode()
    assert "Москва" in history and "Химки" in history and str(manager) in history


def test_edit_is_404_for_other_manager(manager, teammate, client_for):
    cp = CounterpartyFactory(main_manager=manager)
    c = client_for(teammate)
    assert c.get(reverse("clients:counterparty_edit", args=[cp.pk])).status_code == 404
    assert c.post(reverse("clients:counterparty_edit", args=[cp.pk]), form_data(cp)).status_code == 404
    assert c.post(reverse("clients:counterparty_delete", args=[cp.pk])).status_code == 404


def test_read_only_roles_cannot_edit(quality, client_for):
    cp = CounterpartyFactory()
    c = client_for(quality)
    assert c.get(cp.get_absolute_url()).status_code == 200
    assert c.get(reverse("clients:counterparty_edit", args=[cp.pk])).status_code == 404
    assert c.get(reverse("clients:counterparty_add")).status_code == 403


def test_delete_to_trash_and_restore(manager, client_for):
    cp = CounterpartyFactory(main_manager=manager, name="Удаляемый")
    c = client_for(manager)
    assert c.post(reverse("clients:counterparty_delete", args=[cp.pk])).status_code == 302
    assert names(c.get(LIST)) == set()
    trash = c.get(reverse("trash")).content.decode()
    assert "Удаляемый" in trash
    c.post(reverse("restore", args=["clients.counterparty", cp.pk]))
    assert names(c.get(LIST)) == {"Удаляемый"}


def test_trash_is_scoped(manager, teammate, client_for):
    cp = CounterpartyFactory(main_manager=teammate, name="Чужой удалённый")
    cp.delete()
    c = client_for(manager)
    assert "Чужой удалённый" not in c.get(reverse("trash")).content.decode()
    assert c.post(reverse("restore", args=["clients.counterparty", cp.pk])).status_code == 404


def test_inline_delete_moves_person_to_trash(manager, client_for):
    cp = CounterpartyFactory(main_manager=manager)
    person = ContactPersonFactory(counterparty=cp)
    data = form_data(cp, **{
        "person-TOTAL_FORMS": "1", "person-INITIAL_FORMS": "1", "person-0-id": person.pk,
        "person-0-counterparty": cp.pk, "person-0-version": person.version,
        "person-0-last_name": person.last_name, "person-0-DELETE": "on",
    })
    resp = client_for(manager).post(reverse("clients:counterparty_edit", args=[cp.pk]), data)
    assert resp.status_code == 302, resp.content.decode()
    assert ContactPerson.all_objects.trashed().filter(pk=person.pk).exists()


def test_batch_change_selected_and_filtered(head, manager, teammate, client_for):
    a = CounterpartyFactory(main_manager=manager, city="Тверь")
    b = CounterpartyFactory(main_manager=manager, city="Тверь")
    other = CounterpartyFactory(main_manager=manager, city="Москва")
    group = GroupFactory()
    c = client_for(head)
    resp = c.post(reverse("clients:batch"), {"pk": [a.pk], "field": "main_manager", "main_manager": teammate.pk})
    assert resp.status_code == 302
    a.refresh_from_db()
    assert a.main_manager == teammate and a.history.first().history_user == head
    c.post(reverse("clients:batch"), {"query": "city=Тверь", "field": "group", "group": group.pk})
    assert set(Counterparty.objects.filter(group=group)) == {a, b}
    other.refresh_from_db()
    assert other.group is None


def test_batch_property_change_validates_value(head, client_for):
    prop = CustomProperty.objects.create(name="Сотрудников", code="staff", kind="number")
    cp = CounterpartyFactory()
    c = client_for(head)
    resp = c.post(reverse("clients:batch"), {"pk": [cp.pk], "field": "property", "property": prop.pk,
                                             "property_value": "много"})
    assert resp.status_code == 400
    c.post(reverse("clients:batch"), {"pk": [cp.pk], "field": "property", "property": prop.pk,
                                      "property_value": "42"})
    cp.refresh_from_db()
    assert cp.properties == {"staff": 42}


def test_sales_manager_batch_cannot_reassign_or_touch_others(manager, teammate, client_for):
    own = CounterpartyFactory(main_manager=manager)
    foreign = CounterpartyFactory(main_manager=teammate)
    group = GroupFactory()
    c = client_for(manager)
    resp = c.post(reverse("clients:batch"), {"pk": [own.pk], "field": "main_manager", "main_manager": teammate.pk})
    assert resp.status_code == 400
    c.post(reverse("clients:batch"), {"pk": [own.pk, foreign.pk], "field": "group", "group": group.pk})
    own.refresh_from_db()
    foreign.refresh_from_db()
    assert own.group == group and foreign.group is None


def test_contact_person_edit_with_own_contact_info(manager, client_for):
    cp = CounterpartyFactory(main_manager=manager)
    c = client_for(manager)
    resp = c.post(reverse("clients:person_add", args=[cp.pk]), {
        "last_name": "Сидорова", "first_name": "Мария", "birthday": "1990-02-03", "reach_by": "phone",
        "info-TOTAL_FORMS": "1", "info-INITIAL_FORMS": "0", "info-0-kind": "mobile",
        "info-0-value": "+7 916 123-45-67",
    })
    assert resp.status_code == 302, resp.content.decode()
    person = ContactPerson.objects.get(last_name="Сидорова")
    assert person.contact_info.get().counterparty == cp
    assert "79161234567" in Counterparty.objects.get(pk=cp.pk).search_text


def test_settings_pages_are_admin_only(admin_user, head, client_for):
    url = reverse("clients:property_add")
    assert client_for(head).get(url).status_code == 403
    resp = client_for(admin_user).post(url, {"target": "clients.counterparty", "name": "Сфера", "code": "sphere",
                                             "kind": "choice", "order": 0, "choices_text": "Ритейл\nОбщепит"})
    assert resp.status_code == 302
    assert CustomProperty.objects.get().choices == ["Ритейл", "Общепит"]
    assert client_for(head).get(reverse("clients:property_list")).status_code == 200


def test_count_on_demand_respects_filter_and_scope(manager, teammate, client_for):
    CounterpartyFactory(main_manager=manager, city="Тверь")
    CounterpartyFactory(main_manager=manager, city="Москва")
    CounterpartyFactory(main_manager=teammate, city="Тверь")
    c = client_for(manager)
    assert c.get(LIST, {"count": "1"}).content.decode() == "2 rows"
    assert c.get(LIST, {"count": "1", "city": "Тверь"}).content.decode() == "1 row"
    assert c.get(reverse("clients:person_list"), {"count": "1"}).status_code == 200


def test_htmx_search_returns_only_the_table(manager, client_for):
    CounterpartyFactory(main_manager=manager, name="Ромашка")
    resp = client_for(manager).get(LIST, {"q": "ром"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="object-table")
    body = resp.content.decode()
    assert "Ромашка" in body and "<html" not in body


def test_duplicate_property_code_is_a_form_error(admin_user, client_for):
    CustomProperty.objects.create(name="Сфера", code="sphere", kind="text")
    resp = client_for(admin_user).post(reverse("clients:property_add"), {
        "target": "clients.counterparty", "name": "Другая", "code": "sphere", "kind": "text", "order": 0})
    assert resp.status_code == 400
    assert CustomProperty.objects.count() == 1


def test_head_shares_a_client_and_manager_cannot(head, manager, teammate, client_for):
    cp = CounterpartyFactory(main_manager=manager)
    resp = client_for(head).post(reverse("clients:counterparty_edit", args=[cp.pk]),
                                 form_data(cp, main_manager=manager.pk, shared_with=[teammate.pk]))
    assert resp.status_code == 302
    assert client_for(teammate).get(cp.get_absolute_url()).status_code == 200
    cp.refresh_from_db()
    client_for(manager).post(reverse("clients:counterparty_edit", args=[cp.pk]), form_data(cp, shared_with=[]))
    assert list(cp.shared_with.all()) == [teammate]


def test_counterparty_lookup_suggests_only_visible(manager, teammate, client_for):
    mine = CounterpartyFactory(main_manager=manager, name="Ромашка")
    CounterpartyFactory(main_manager=teammate, name="Ромашка-2")
    body = client_for(manager).get(reverse("clients:lookup"), {"q": "ромаш"}).content.decode()
    assert f'data-id="{mine.pk}" data-name="Ромашка"' in body and "Ромашка-2" not in body
