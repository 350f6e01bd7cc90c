"""Duplicates over the whole base (the scan, the page, "not duplicates") and merging two clients."""

import pytest
from django.urls import reverse

from clients import duplicates, merge
from clients.models import (
    ContactInfo,
    ContactKind,
    ContactPerson,
    Counterparty,
    CounterpartyShare,
    DuplicatePair,
    DuplicateScan,
)
from clients.tests.factories import ContactInfoFactory, ContactPersonFactory, CounterpartyFactory, valid_inn
from core.tests import samples
from core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
samples.load_contributions()  # every app's sample rows: one record of each kind for the merge test


def pairs():
    return {(p.first_id, p.second_id): p.reasons for p in DuplicatePair.objects.all()}


def key(a, b):
    return tuple(sorted([a.pk, b.pk]))


# --- The scan -------------------------------------------------------------------------------------

def test_scan_finds_pairs_by_each_reason_and_not_unrelated_ones(manager):
    tax_a = CounterpartyFactory(name="Альфа", tax_id="7701234567")
    tax_b = CounterpartyFactory(name="Бета", tax_id="7701234567")
    branch = CounterpartyFactory(name="Гамма", tax_id="7709876543", kpp="770901001")
    other_branch = CounterpartyFactory(name="Дельта", tax_id="7709876543", kpp="771001001")
    phone_a, phone_b = CounterpartyFactory(name="Север"), CounterpartyFactory(name="Юг")
    ContactInfoFactory(counterparty=phone_a, kind=ContactKind.PHONE, value="+79035236645")
    ContactInfoFactory(counterparty=phone_b, kind=ContactKind.MOBILE, value="+79035236645")
    mail_a, mail_b = CounterpartyFactory(name="Восток"), CounterpartyFactory(name="Запад")
    ContactInfoFactory(counterparty=mail_a, kind=ContactKind.EMAIL, value="info@example.ru")
    person = ContactPersonFactory(counterparty=mail_b)
    ContactInfoFactory(counterparty=mail_b, contact_person=person, kind=ContactKind.EMAIL, value="info@example.ru")
    name_a = CounterpartyFactory(name="ООО «Ромашка-Холод»")
    name_b = CounterpartyFactory(name="Ромашка Холод, ООО")
    shop_5, shop_6 = CounterpartyFactory(name="Магазин Продукты 5"), CounterpartyFactory(name="Магазин Продукты 6")
    trashed = CounterpartyFactory(name="Бета", tax_id="7701234567")
    trashed.delete()
    CounterpartyFactory(name="Совсем другой")

    scan = duplicates.scan(user=manager)

    found = pairs()
    assert found == {
        key(tax_a, tax_b): ["tax_id"],
        key(phone_a, phone_b): ["phone"],
        key(mail_a, mail_b): ["email"],
        key(name_a, name_b): ["name"],
    }
    assert key(branch, other_branch) not in found and key(shop_5, shop_6) not in found
    assert scan.status == DuplicateScan.Status.DONE and scan.pairs == 4 and scan.seconds is not None
    # Two reasons score higher than one.
    ContactInfoFactory(counterparty=tax_a, kind=ContactKind.PHONE, value="+79161234567")
    ContactInfoFactory(counterparty=tax_b, kind=ContactKind.PHONE, value="+79161234567")
    duplicates.scan()
    pair = DuplicatePair.objects.get(first_id=min(tax_a.pk, tax_b.pk))
    assert pair.reasons == ["tax_id", "phone"] and pair.score == 100


def test_a_value_shared_by_many_clients_is_no_evidence():
    clients = [CounterpartyFactory(name=f"Точка {chr(0x410 + i)}") for i in range(duplicates.MAX_GROUP + 1)]
    for cp in clients:
        ContactInfoFactory(counterparty=cp, kind=ContactKind.PHONE, value="+74950000000")
    duplicates.scan()
    assert not DuplicatePair.objects.exists()


def test_not_duplicates_sticks_across_rescans(head):
    a, b = CounterpartyFactory(tax_id="7701234567"), CounterpartyFactory(tax_id="7701234567")
    duplicates.scan()
    pair = DuplicatePair.objects.get()
    duplicates.dismiss(pair, head)
    duplicates.scan()
    duplicates.scan()
    pair = DuplicatePair.objects.get()
    assert pair.dismissed_at is not None and pair.dismissed_by == head
    assert not duplicates.visible_pairs(head).exists()
    # A pair that no longer matches disappears (unless dismissed).
    c, d = CounterpartyFactory(name="Ромашка-Холод"), CounterpartyFactory(name="Ромашка Холод")
    duplicates.scan()
    assert key(c, d) in pairs()
    Counterparty.objects.filter(pk=d.pk).update(name="Лютик")
    duplicates.scan()
    assert key(c, d) not in pairs() and key(a, b) in pairs()


def test_the_scan_task_runs_a_queued_scan_once(head):
    from clients.tasks import scan_due, scan_duplicates

    CounterpartyFactory(tax_id="7701234567"), CounterpartyFactory(tax_id="7701234567")
    row = DuplicateScan.objects.create(started_by=head)
    assert scan_duplicates.call(row.pk) == row.pk
    assert DuplicatePair.objects.count() == 1
    assert scan_duplicates.call(row.pk) is None  # taken already
    assert not scan_due()  # the daily scan waits a day after this one


def test_pairs_are_scoped_to_clients_the_user_sees(manager, teammate, head, client_for):
    mine = CounterpartyFactory(main_manager=manager, name="Мой «Ромашка-Холод»", tax_id="7701234567")
    mine_too = CounterpartyFactory(main_manager=manager, name="Ромашка Холод мой", tax_id="7701234567")
    theirs = CounterpartyFactory(main_manager=teammate, name="Чужой", tax_id="7709876543")
    theirs_too = CounterpartyFactory(main_manager=manager, name="Мой другой", tax_id="7709876543")
    duplicates.scan()
    assert set(duplicates.visible_pairs(head).values_list("first_id", "second_id")) == {
        key(mine, mine_too), key(theirs, theirs_too)}
    assert set(duplicates.visible_pairs(manager).values_list("first_id", "second_id")) == {key(mine, mine_too)}
    assert not duplicates.visible_pairs(teammate).exists()
    page = client_for(manager).get(reverse("clients:duplicate_list"))
    body = page.content.decode()
    assert page.status_code == 200 and mine.name in body and "Чужой" not in body
    assert 'data-testid="rescan"' not in body  # heads and administrators rescan
    # Sharing the teammate's client shows the pair.
    CounterpartyShare.objects.create(counterparty=theirs, user=manager)
    assert duplicates.visible_pairs(manager).count() == 2


def test_rescan_button_queues_one_scan_for_heads_only(head, manager, client_for):
    assert client_for(manager).post(reverse("clients:duplicate_scan")).status_code == 403
    c = client_for(head)
    assert c.post(reverse("clients:duplicate_scan")).status_code == 302
    assert c.post(reverse("clients:duplicate_scan")).status_code == 302
    assert DuplicateScan.objects.get().status == DuplicateScan.Status.QUEUED
    body = c.get(reverse("clients:duplicate_list")).content.decode()
    assert 'data-testid="rescan"' in body and "disabled" in body


def test_dismiss_from_the_page(manager, teammate, client_for):
    a = CounterpartyFactory(main_manager=manager, tax_id="7701234567")
    b = CounterpartyFactory(main_manager=manager, tax_id="7701234567")
    duplicates.scan()
    pair = DuplicatePair.objects.get()
    url = reverse("clients:duplicate_dismiss", args=[pair.pk])
    assert client_for(teammate).post(url).status_code == 404
    assert client_for(manager).post(url).status_code == 302
    assert not duplicates.visible_pairs(manager).exists()
    assert {a.pk, b.pk} == {pair.first_id, pair.second_id}


# --- The merge ------------------------------------------------------------------------------------

def test_merge_moves_every_related_record_and_keeps_history(manager):
    world = samples.World(manager, "Tokmerge").build()  # one row of every kind, on one client
    merged = world.get(Counterparty)
    survivor = CounterpartyFactory(main_manager=manager, name="Survivor")
    pointing = {}
    for model, how, field in merge.relations():
        if how == "fk" and model is not Counterparty:
            ids = list(merge._manager(model).filter(**{field.name: merged}).values_list("pk", flat=True))
            if ids:
                pointing[model] = (field, ids)
    labels = {m._meta.label_lower for m in pointing}
    # Every app built on clients is there: a move that forgot one of them would leave it behind.
    assert {"clients.contactperson", "clients.contactinfo", "clients.supplieditem", "activities.interaction",
            "activities.task", "sales.deal", "sales.order", "sales.document", "service.complaint",
            "service.equipment", "service.servicecontract", "marketing.groupmember",
            "analytics.classoverride"} <= labels

    merge.merge(survivor, merged, user=manager, survivor_version=survivor.version, merged_version=merged.version)

    for model, (field, ids) in pointing.items():
        rows = merge._manager(model).filter(pk__in=ids)
        target = merged.pk if getattr(model, "derived", False) else survivor.pk
        assert set(rows.values_list(field.attname, flat=True)) == {target}, model._meta.label
        if merge._has_history(model):
            for pk in ids:
                last = model.history.filter(id=pk).order_by("-history_date", "-history_id").first()
                assert last.history_change_reason.startswith(f"merge: #{merged.pk}"), model._meta.label
                assert last.history_user == manager
    survivor.refresh_from_db()
    merged = Counterparty.all_objects.get(pk=merged.pk)
    assert merged.is_deleted and merged.merged_into == survivor
    assert survivor.history.first().history_change_reason.startswith("merge:")
    assert merged.history.first().history_change_reason.startswith("merge:")
    assert "tokmerge person" in survivor.search_text  # the moved persons are found by quick search


def test_field_choices_defaults_and_duplicate_rows(manager, head):
    survivor = CounterpartyFactory(main_manager=manager, name="Ромашка", city="", notes="старый",
                                   is_supplier=False, properties={"a": 1, "b": 1})
    merged = CounterpartyFactory(main_manager=manager, name="Ромашка-Холод", city="Тверь", notes="новый",
                                 is_supplier=True, properties={"b": 2, "c": 2})
    ContactInfoFactory(counterparty=survivor, kind=ContactKind.PHONE, value="+79035236645")
    same_phone = ContactInfoFactory(counterparty=merged, kind=ContactKind.PHONE, value="+79035236645")
    new_mail = ContactInfoFactory(counterparty=merged, kind=ContactKind.EMAIL, value="new@example.ru")
    CounterpartyShare.objects.create(counterparty=survivor, user=head)
    CounterpartyShare.objects.create(counterparty=merged, user=head)
    other = UserFactory()
    CounterpartyShare.objects.create(counterparty=merged, user=other)

    merge.merge(survivor, merged, user=manager, fields={"name": "merged"},
                survivor_version=survivor.version, merged_version=merged.version)

    survivor.refresh_from_db()
    assert survivor.name == "Ромашка-Холод"  # chosen
    assert survivor.city == "Тверь" and survivor.is_supplier  # the survivor's were empty
    assert survivor.notes == "старый"  # the survivor's by default
    assert survivor.properties == {"a": 1, "b": 1, "c": 2}  # united, the survivor's value wins
    assert survivor.version == 2
    # The repeated phone and the repeated share stay with the merged record; the rest moves.
    assert ContactInfo.all_objects.get(pk=same_phone.pk).counterparty_id == merged.pk
    assert ContactInfo.objects.get(pk=new_mail.pk).counterparty_id == survivor.pk
    assert set(CounterpartyShare.objects.filter(counterparty=survivor).values_list("user_id", flat=True)) == {
        head.pk, other.pk}


def test_a_stale_version_is_refused_and_nothing_changes(manager, client_for):
    survivor = CounterpartyFactory(main_manager=manager)
    merged = CounterpartyFactory(main_manager=manager)
    person = ContactPersonFactory(counterparty=merged)
    old = merged.version
    merged.notes = "changed meanwhile"
    merged.save()
    with pytest.raises(merge.MergeConflict):
        merge.merge(survivor, merged, user=manager, survivor_version=survivor.version, merged_version=old)
    resp = client_for(manager).post(reverse("clients:counterparty_merge", args=[survivor.pk, merged.pk]),
                                    {"survivor_version": survivor.version, "merged_version": old, "confirm": "1"})
    assert resp.status_code == 409 and "changed by someone else" in resp.content.decode()
    assert not Counterparty.all_objects.get(pk=merged.pk).is_deleted
    assert ContactPerson.objects.get(pk=person.pk).counterparty_id == merged.pk


def test_merge_screen_preview_and_confirm(manager, client_for):
    survivor = CounterpartyFactory(main_manager=manager, name="Ромашка")
    merged = CounterpartyFactory(main_manager=manager, name="Ромашка-Холод")
    ContactPersonFactory(counterparty=merged, last_name="Петров")
    c = client_for(manager)
    url = reverse("clients:counterparty_merge", args=[survivor.pk, merged.pk])
    page = c.get(url)
    assert page.status_code == 200 and 'name="name"' in page.content.decode()
    data = {"survivor_version": survivor.version, "merged_version": merged.version, "name": "merged"}
    preview = c.post(url, {**data, "preview": "1"})
    body = preview.content.decode()
    assert preview.status_code == 200 and 'data-testid="merge-preview"' in body and "Contact persons: 1" in body
    assert not Counterparty.all_objects.get(pk=merged.pk).is_deleted  # a preview changes nothing
    done = c.post(url, {**data, "confirm": "1"})
    assert done.status_code == 302 and done["Location"] == survivor.get_absolute_url()
    survivor.refresh_from_db()
    assert survivor.name == "Ромашка-Холод" and survivor.contact_persons.get().last_name == "Петров"


def test_a_manager_merges_only_their_own_clients(manager, teammate, client_for, api):
    mine = CounterpartyFactory(main_manager=manager)
    theirs = CounterpartyFactory(main_manager=teammate)
    c = client_for(manager)
    assert c.get(reverse("clients:counterparty_merge", args=[mine.pk, theirs.pk])).status_code == 404
    assert c.post(reverse("clients:counterparty_merge", args=[theirs.pk, mine.pk]),
                  {"survivor_version": 1, "merged_version": 1, "confirm": "1"}).status_code == 404
    resp = api(manager).post(f"/api/counterparties/{mine.pk}/merge/",
                             {"merged": theirs.pk, "version": 1, "merged_version": 1}, format="json")
    assert resp.status_code == 400 and "merged" in resp.json()
    resp = api(manager).post(f"/api/counterparties/{theirs.pk}/merge/",
                             {"merged": mine.pk, "version": 1, "merged_version": 1}, format="json")
    assert resp.status_code == 404
    assert not Counterparty.all_objects.filter(deleted_at__isnull=False).exists()
    # Nor may they hand the client to another manager by choosing the other main manager.
    shared = CounterpartyFactory(main_manager=teammate)
    CounterpartyShare.objects.create(counterparty=shared, user=manager)
    resp = api(manager).post(f"/api/counterparties/{mine.pk}/merge/",
                             {"merged": shared.pk, "version": 1, "merged_version": 1,
                              "fields": {"main_manager": "merged"}}, format="json")
    assert resp.status_code == 400 and "main_manager" in resp.json()


def test_merge_through_the_api(manager, head, api):
    survivor = CounterpartyFactory(main_manager=manager, name="Ромашка")
    merged = CounterpartyFactory(main_manager=manager, name="Ромашка-Холод", city="Тверь")
    deal_person = ContactPersonFactory(counterparty=merged)
    url = f"/api/counterparties/{survivor.pk}/merge/"
    bad = api(head).post(url, {"merged": merged.pk, "version": 1, "merged_version": 1,
                               "fields": {"name": "theirs"}}, format="json")
    assert bad.status_code == 400 and "fields" in bad.json()
    bad = api(head).post(url, {"merged": merged.pk, "version": 1, "merged_version": 1,
                               "fields": {"nonsense": "merged"}}, format="json")
    assert bad.status_code == 400 and "nonsense" in bad.json()
    itself = api(head).post(url, {"merged": survivor.pk, "version": 1, "merged_version": 1}, format="json")
    assert itself.status_code == 400 and "merged" in itself.json()
    stale = api(head).post(url, {"merged": merged.pk, "version": 7, "merged_version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    resp = api(head).post(url, {"merged": merged.pk, "version": 1, "merged_version": 1,
                                "fields": {"name": "merged"}}, format="json")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["name"] == "Ромашка-Холод" and body["city"] == "Тверь" and body["id"] == survivor.pk
    assert ContactPerson.objects.get(pk=deal_person.pk).counterparty_id == survivor.pk
    assert api(head).get(f"/api/counterparties/{merged.pk}/").status_code == 404
    assert Counterparty.all_objects.get(pk=merged.pk).merged_into_id == survivor.pk


def test_the_merged_record_in_the_trash_links_to_the_survivor_and_restores_alone(head, client_for):
    survivor = CounterpartyFactory(name="Выживший")
    merged = CounterpartyFactory(name="Слитый")
    moved = ContactPersonFactory(counterparty=merged)
    a, b = sorted([survivor.pk, merged.pk])
    DuplicatePair.objects.create(first_id=a, second_id=b, reasons=["name"], score=90)
    merge.merge(survivor, merged, user=head, survivor_version=1, merged_version=1)
    assert not DuplicatePair.objects.exists()  # the pair is settled
    c = client_for(head)
    trash = c.get(reverse("trash")).content.decode()
    assert 'data-testid="trash-link"' in trash and survivor.get_absolute_url() in trash
    resp = c.post(reverse("restore", args=["clients.counterparty", merged.pk]))
    assert resp.status_code == 302
    merged = Counterparty.objects.get(pk=merged.pk)
    assert merged.merged_into is None
    assert ContactPerson.objects.get(pk=moved.pk).counterparty_id == survivor.pk  # a merge is not undone


def test_an_invalid_result_names_the_field(head):
    survivor = CounterpartyFactory(country="RO", tax_id="")
    # A Russian INN that is not a valid CUI (about one sequence INN in ten is both: fixed, not drawn).
    merged = CounterpartyFactory(tax_id=valid_inn(1))
    with pytest.raises(Exception) as exc:
        merge.merge(survivor, merged, user=head, fields={"tax_id": "merged"}, survivor_version=1, merged_version=1)
    assert "tax_id" in exc.value.message_dict
    assert not Counterparty.all_objects.get(pk=merged.pk).is_deleted
    # A doubtful value the survivor already had does not stop a merge that keeps it.
    Counterparty.objects.filter(pk=survivor.pk).update(tax_id="123")
    merge.merge(survivor, merged, user=head, survivor_version=1, merged_version=1)
    survivor.refresh_from_db()
    assert survivor.tax_id == "123" and survivor.version == 2


def test_records_merged_earlier_follow_into_the_new_survivor(head):
    first, second, third = CounterpartyFactory(), CounterpartyFactory(), CounterpartyFactory()
    merge.merge(second, first, user=head, survivor_version=1, merged_version=1)
    second.refresh_from_db()
    merge.merge(third, second, user=head, survivor_version=1, merged_version=second.version)
    assert Counterparty.all_objects.get(pk=first.pk).merged_into_id == third.pk


def test_the_card_links_to_its_duplicates(manager, teammate, client_for):
    mine = CounterpartyFactory(main_manager=manager, tax_id="7701234567")
    twin = CounterpartyFactory(main_manager=manager, tax_id="7701234567", name="Двойник")
    duplicates.scan()
    body = client_for(manager).get(mine.get_absolute_url()).content.decode()
    assert 'data-testid="card-duplicates"' in body and "Двойник" in body
    assert reverse("clients:counterparty_merge", args=[mine.pk, twin.pk]) in body
    twin.main_manager = teammate
    twin.save()
    body = client_for(manager).get(mine.get_absolute_url()).content.decode()
    assert 'data-testid="card-duplicates"' not in body and "Двойник" not in body
