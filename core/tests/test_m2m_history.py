"""Many-to-many changes in the history (issue 13, item 8): who added or removed whom, and when,
on the card's History tab and at ``/api/<resource>/<id>/history/``; one entry per save, none for
an unchanged save."""

import pytest
from django.urls import reverse

from activities.models import Interaction, InteractionType
from clients.models import Counterparty
from clients.tests.factories import ContactPersonFactory, CounterpartyFactory
from clients.tests.test_views import form_data
from core import history
from marketing.models import CallList

pytestmark = pytest.mark.django_db


def meeting(cp, user):
    from django.utils import timezone

    return Interaction.objects.create(type=InteractionType.by_code("meeting"), counterparty=cp, responsible=user,
                                      subject="Встреча", start=timezone.now())


def m2m_changes(entries, field):
    return [(e["who"], c) for e in entries for c in e["changes"] if c["field"] == field]


def test_api_change_of_contact_persons_is_one_history_entry(api, manager):
    cp = CounterpartyFactory(main_manager=manager)
    ivanov, petrov = ContactPersonFactory(counterparty=cp, last_name="Иванов"), \
        ContactPersonFactory(counterparty=cp, last_name="Петров")
    item = meeting(cp, manager)
    item.contact_persons.add(ivanov)
    client = api(manager)
    version = client.get(f"/api/interactions/{item.pk}/").json()["version"]
    records = Interaction.history.filter(id=item.pk).count()

    resp = client.patch(f"/api/interactions/{item.pk}/", {"contact_persons": [petrov.pk], "subject": "Итоги",
                                                          "version": version}, format="json")

    assert resp.status_code == 200, resp.content
    assert Interaction.history.filter(id=item.pk).count() == records + 1  # one save, one record
    entries = client.get(f"/api/interactions/{item.pk}/history/").json()
    latest = entries[0]
    assert latest["who"] == str(manager)
    persons = [c for c in latest["changes"] if c["field"] == "contact persons"]
    assert persons == [{"field": "contact persons", "old": str(ivanov), "new": str(petrov),
                        "added": [str(petrov)], "removed": [str(ivanov)]}]
    assert any(c["field"] == "subject" for c in latest["changes"])


def test_add_outside_forms_is_recorded_too(manager):
    """Mail intake, telephony, surveys add persons with .add(): simple-history records it."""
    cp = CounterpartyFactory(main_manager=manager)
    person = ContactPersonFactory(counterparty=cp, last_name="Сидоров")
    item = meeting(cp, manager)
    item.contact_persons.add(person)  # right after creation: part of it, no entry of its own
    assert Interaction.history.filter(id=item.pk).count() == 1
    assert list(Interaction.history.get(id=item.pk).contact_persons.values_list("contactperson_id", flat=True)) \
        == [person.pk]
    later = ContactPersonFactory(counterparty=cp, last_name="Козлов")
    Interaction.objects.get(pk=item.pk).contact_persons.add(later)
    changes = m2m_changes(history.entries(list(Interaction.history.filter(id=item.pk))), "contact persons")
    assert [c["added"] for _who, c in changes] == [[str(later)]]


def test_change_from_the_other_side_is_recorded_on_the_row(manager):
    cp = CounterpartyFactory(main_manager=manager)
    person = ContactPersonFactory(counterparty=cp)
    item = meeting(cp, manager)
    person.interactions.add(item)
    person.interactions.remove(item)
    changes = m2m_changes(history.entries(list(Interaction.history.filter(id=item.pk))), "contact persons")
    assert [(c["added"], c["removed"]) for _who, c in changes] == [([], [str(person)]), ([str(person)], [])]


def test_clear_from_the_other_side_is_recorded_on_each_row(manager):
    cp = CounterpartyFactory(main_manager=manager)
    person = ContactPersonFactory(counterparty=cp)
    first, second, untouched = meeting(cp, manager), meeting(cp, manager), meeting(cp, manager)
    person.interactions.add(first, second)
    person.interactions.clear()
    for item in (first, second):
        changes = m2m_changes(history.entries(list(Interaction.history.filter(id=item.pk))), "contact persons")
        assert [(c["added"], c["removed"]) for _who, c in changes][0] == ([], [str(person)])
    assert Interaction.history.filter(id=untouched.pk).count() == 1


def test_sharing_on_the_form_shows_in_the_card_history(head, manager, teammate, client_for):
    cp = CounterpartyFactory(main_manager=manager)
    c = client_for(head)
    resp = c.post(reverse("clients:counterparty_edit", args=[cp.pk]),
                  form_data(cp, full_name=cp.full_name, main_manager=manager.pk, shared_with=[teammate.pk]))
    assert resp.status_code == 302
    records = Counterparty.history.filter(id=cp.pk)
    assert records.count() == 2, [(r.history_type, r.version) for r in records]  # created; the one save
    page = c.get(reverse("clients:counterparty_history", args=[cp.pk])).content.decode()
    assert "Shared with" in page and str(teammate) in page
    changes = m2m_changes(history.entries(list(records)), "shared with")
    assert changes == [(str(head), {"field": "shared with", "old": "—", "new": str(teammate),
                                    "added": [str(teammate)], "removed": []})]


def test_unchanged_form_save_makes_no_m2m_history(head, manager, teammate, client_for):
    cp = CounterpartyFactory(main_manager=manager)
    cp.shared_with.add(teammate)
    cp.refresh_from_db()
    before, version = Counterparty.history.filter(id=cp.pk).count(), cp.version
    data = form_data(cp, full_name=cp.full_name, main_manager=manager.pk, shared_with=[teammate.pk])
    resp = client_for(head).post(reverse("clients:counterparty_edit", args=[cp.pk]), data)
    assert resp.status_code == 302
    assert Counterparty.history.filter(id=cp.pk).count() == before
    cp.refresh_from_db()
    assert cp.version == version


def test_other_fields_saved_keep_the_set_without_a_false_change(head, manager, teammate, client_for):
    cp = CounterpartyFactory(main_manager=manager)
    cp.shared_with.add(teammate)
    cp.refresh_from_db()
    data = form_data(cp, full_name=cp.full_name, main_manager=manager.pk, shared_with=[teammate.pk], city="Тула")
    resp = client_for(head).post(reverse("clients:counterparty_edit", args=[cp.pk]), data)
    assert resp.status_code == 302
    entries = history.entries(list(Counterparty.history.filter(id=cp.pk)))
    assert [c["field"] for c in entries[0]["changes"]] == ["city"]


def test_call_list_operators_are_kept(manager, teammate):
    from marketing.models import CallScript

    CallList.objects.create(name="Обзвон", script=CallScript.objects.create(name="Скрипт"))
    call_list = CallList.objects.get()
    call_list.operators.set([manager])
    call_list.operators.set([teammate])
    changes = m2m_changes(history.entries(list(CallList.history.filter(id=call_list.pk))), "operators")
    # Newest first; .set() outside a form is simple-history's remove, then add: two entries.
    assert [(c["added"], c["removed"]) for _who, c in changes] == [
        ([str(teammate)], []), ([], [str(manager)]), ([str(manager)], [])]


def test_migration_backfills_todays_sets_into_the_latest_record(manager, teammate):
    """Shares made before the history kept them must not show as added at the next change."""
    from django.apps import apps

    from clients.models import CounterpartyShare
    from core.history_backfill import backfill_m2m

    cp = CounterpartyFactory(main_manager=manager)
    CounterpartyShare.objects.create(counterparty=cp, user=teammate)  # no signal: as in old data
    backfill_m2m("clients", "Counterparty", "shared_with", "HistoricalCounterpartyShare").code(apps, None)
    cp.refresh_from_db()
    cp.city = "Тула"
    cp.save()
    entries = history.entries(list(Counterparty.history.filter(id=cp.pk)))
    assert [c["field"] for c in entries[0]["changes"]] == ["city"]


def test_sets_written_in_bulk_are_snapshot_into_the_latest_record(manager, teammate):
    from clients.models import CounterpartyShare

    cp = CounterpartyFactory(main_manager=manager)
    CounterpartyShare.objects.bulk_create([CounterpartyShare(counterparty=cp, user=teammate)])
    history.snapshot_latest(Counterparty, [cp.pk])
    history.snapshot_latest(Counterparty, [cp.pk])  # again: replaced, not doubled
    cp.refresh_from_db()
    cp.city = "Тула"
    cp.save()
    entries = history.entries(list(Counterparty.history.filter(id=cp.pk)))
    assert [c["field"] for c in entries[0]["changes"]] == ["city"]
    cp.shared_with.remove(teammate)
    entries = history.entries(list(Counterparty.history.filter(id=cp.pk)))
    assert [c["removed"] for c in entries[0]["changes"]] == [[str(teammate)]]


def test_conflict_page_shows_the_set_before_theirs_and_mine(head, sales_head, manager, teammate, client_for):
    from core.tests.factories import UserFactory

    cp = CounterpartyFactory(main_manager=manager)
    first = UserFactory(username="first")
    cp.shared_with.add(first)
    cp.refresh_from_db()
    stale = form_data(cp, full_name=cp.full_name, main_manager=manager.pk, shared_with=[first.pk, manager.pk])
    theirs = form_data(cp, full_name=cp.full_name, main_manager=manager.pk, shared_with=[teammate.pk])
    assert client_for(sales_head).post(reverse("clients:counterparty_edit", args=[cp.pk]), theirs).status_code == 302
    resp = client_for(head).post(reverse("clients:counterparty_edit", args=[cp.pk]), stale)
    assert resp.status_code == 409
    rows = {row["label"]: row for row in resp.context["conflict_changes"]}
    shared = rows["Shared with"]
    assert (shared["before"], shared["theirs"]) == (str(first), str(teammate))
    assert list(cp.shared_with.all()) == [teammate]
