"""BaseModel: history, soft delete with restore, optimistic locking, access scoping."""

import pytest
from django.db.models import Q

from clients.models import ContactPerson, Counterparty, CounterpartyShare
from clients.tests.factories import ContactPersonFactory, CounterpartyFactory
from core import access
from core.models import ConflictError

pytestmark = pytest.mark.django_db


def test_every_save_is_recorded_in_history(manager):
    cp = CounterpartyFactory(main_manager=manager, city="Москва")
    cp.city = "Химки"
    cp.save()
    records = list(cp.history.order_by("history_date"))
    assert [r.history_type for r in records] == ["+", "~"]
    assert [r.city for r in records] == ["Москва", "Химки"]


def test_soft_delete_and_restore(manager):
    cp = CounterpartyFactory(main_manager=manager)
    cp.delete()
    assert not Counterparty.objects.filter(pk=cp.pk).exists()
    assert Counterparty.all_objects.trashed().filter(pk=cp.pk).exists()
    cp.restore()
    assert Counterparty.objects.filter(pk=cp.pk).exists()
    assert cp.history.count() == 3


def test_children_of_trashed_counterparty_are_hidden(manager):
    person = ContactPersonFactory(counterparty=CounterpartyFactory(main_manager=manager))
    person.counterparty.delete()
    assert not ContactPerson.objects.restrict(manager).filter(pk=person.pk).exists()


def test_stale_save_is_refused_and_overwrites_nothing(manager):
    cp = CounterpartyFactory(main_manager=manager, city="Москва")
    first = Counterparty.objects.get(pk=cp.pk)
    second = Counterparty.objects.get(pk=cp.pk)
    first.city = "Химки"
    first.save()
    second.city = "Тверь"
    with pytest.raises(ConflictError) as err:
        second.save()
    assert err.value.current.city == "Химки"
    assert Counterparty.objects.get(pk=cp.pk).city == "Химки"
    assert Counterparty.objects.get(pk=cp.pk).version == 2


def test_restrict_scopes_sales_manager_to_own_and_shared(manager, teammate, head, quality):
    own = CounterpartyFactory(main_manager=manager)
    other = CounterpartyFactory(main_manager=teammate)
    shared = CounterpartyFactory(main_manager=teammate)
    CounterpartyShare.objects.create(counterparty=shared, user=manager)
    assert set(Counterparty.objects.restrict(manager)) == {own, shared}
    assert set(Counterparty.objects.restrict(head)) == {own, other, shared}
    assert set(Counterparty.objects.restrict(quality)) == {own, other, shared}
    assert not Counterparty.objects.restrict(quality, access.CHANGE).exists()


def test_shared_with_several_users_gives_no_duplicate_rows(manager, teammate, head):
    cp = CounterpartyFactory(main_manager=manager)
    CounterpartyShare.objects.create(counterparty=cp, user=teammate)
    CounterpartyShare.objects.create(counterparty=cp, user=head)
    assert Counterparty.objects.restrict(manager).count() == 1


def test_anonymous_and_inactive_see_nothing(manager):
    from django.contrib.auth.models import AnonymousUser

    CounterpartyFactory(main_manager=manager)
    assert not Counterparty.objects.restrict(AnonymousUser()).exists()
    manager.is_active = False
    assert not Counterparty.objects.restrict(manager).exists()


def test_children_follow_counterparty_scope(manager, teammate):
    mine = ContactPersonFactory(counterparty=CounterpartyFactory(main_manager=manager))
    ContactPersonFactory(counterparty=CounterpartyFactory(main_manager=teammate))
    assert list(ContactPerson.objects.restrict(manager)) == [mine]


@pytest.mark.django_db
def test_migrate_refreshes_sqlite_statistics():
    from django.apps import apps
    from django.db import connection

    from core.apps import analyze_sqlite

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL analyses by itself (autovacuum)")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
        analyze_sqlite(apps.get_app_config("core"), "default", plan=[])  # nothing migrated: nothing to do
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        assert cursor.fetchone()[0] == 0
        analyze_sqlite(apps.get_app_config("core"), "default", plan=[(None, False)])
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        assert cursor.fetchone()[0] == 1


def test_restore_refuses_a_row_whose_unique_code_was_taken_meanwhile(admin_user, client_for):
    from django.urls import reverse

    from core.models import CustomProperty
    from core.tests.factories import CustomPropertyFactory

    old = CustomPropertyFactory(code="warehouse", name="Склад")
    old.delete()
    CustomPropertyFactory(code="warehouse", name="Склад (новый)")
    client = client_for(admin_user)
    assert "Склад" in client.get(reverse("trash")).content.decode()  # custom properties are in the trash
    resp = client.post(reverse("restore", args=["core.customproperty", old.pk]), follow=True)
    assert resp.status_code == 200 and "cannot be restored" in resp.content.decode()
    assert CustomProperty.all_objects.get(pk=old.pk).deleted_at is not None


@pytest.mark.django_db
def test_the_live_rows_queryset_is_built_once_and_never_shared():
    """AliveManager keeps one built "not in the trash" queryset per model and hands out clones: a
    change to one queryset, or hints a related manager adds, must not reach the next one."""
    alive, gone = CounterpartyFactory(name="Живой"), CounterpartyFactory(name="Удалённый")
    gone.delete()
    mutated = Counterparty.objects.get_queryset()
    mutated.query.add_q(Q(name="Нет такого"))  # in place, as QuerySet internals do
    mutated._add_hints(instance=alive)
    assert list(mutated) == []
    assert list(Counterparty.objects.values_list("name", flat=True)) == ["Живой"]
    assert Counterparty.objects._hints == {} and Counterparty.objects.get_queryset()._hints == {}
    assert Counterparty.all_objects.count() == 2
    # Related managers (built per row) still see only their row's live records.
    ContactPersonFactory(counterparty=alive, last_name="Иванов")
    ContactPersonFactory(counterparty=alive, last_name="Петров").delete()
    ContactPersonFactory(counterparty=CounterpartyFactory(), last_name="Сидоров")
    assert [p.last_name for p in alive.contact_persons.all()] == ["Иванов"]
