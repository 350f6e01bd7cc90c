"""Built-in relationship types read in the user's language until renamed (issue 9, item 8)."""

import importlib

import pytest
from django.apps import apps as global_apps
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from clients.models import Counterparty, RelationshipType
from clients.tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("clients.migrations.0005_builtin_relationship_types")
CODES = ["vip", "regular", "potential", "one_off"]


def stored_name(row):
    return RelationshipType.all_objects.filter(pk=row.pk).values_list("name", flat=True).get()


def in_language(language, msgid):
    with translation.override(language):
        return translation.gettext(msgid)


@pytest.fixture
def builtins():
    return RelationshipType.ensure_builtin()


def test_every_install_has_the_four_builtins(builtins):
    assert sorted(RelationshipType.objects.exclude(code="").values_list("code", flat=True)) == sorted(CODES)
    assert RelationshipType.ensure_builtin() == builtins  # by code: nothing added the second time
    assert RelationshipType.objects.count() == 4


@pytest.mark.parametrize("language", ["ru", "en", "ro"])
def test_builtins_show_in_the_active_language(builtins, language):
    with translation.override(language):
        names = {code: str(RelationshipType.objects.get(code=code)) for code in CODES}
    if language == "ru":
        assert names == {"vip": "VIP", "regular": "Постоянный", "potential": "Потенциальный", "one_off": "Разовый"}
    else:  # English, or Romanian once the catalog has it: never the Russian name
        assert names == {code: in_language(language, entry.msgid)
                         for code, entry in RelationshipType.BUILTIN_NAMES.items()}
        assert names["regular"] != "Постоянный"
    if language == "en":
        assert names == {"vip": "VIP", "regular": "Regular", "potential": "Potential", "one_off": "One-off"}


@pytest.mark.parametrize("language", ["en", "ro"])
def test_reference_list_page_shows_translated_names(builtins, admin_user, client_for, language):
    client = client_for(admin_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with translation.override(settings.LANGUAGE_CODE):  # the middleware's activation must not leak
        page = client.get(reverse("clients:reltype_list"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert in_language(language, "Regular") in page and in_language(language, "One-off") in page
    assert "Постоянный" not in page and "Разовый" not in page


def test_renamed_builtin_shows_as_typed_in_every_language(builtins):
    regular = builtins["regular"]
    regular.name = "Постоянный клиент"
    regular.save()
    for language in ("ru", "en", "ro"):
        with translation.override(language):
            assert str(RelationshipType.objects.get(pk=regular.pk)) == "Постоянный клиент"


@pytest.mark.parametrize("language", ["ru", "en", "ro"])
def test_unchanged_save_keeps_the_row_builtin(builtins, language):
    with translation.override(language):
        row = RelationshipType.objects.get(code="one_off")
        row.name = row.name  # what an unchanged form posts
        row.save()
    assert stored_name(row) == "One-off"


def test_migration_marks_rows_named_as_the_russian_defaults(builtins):
    """An existing database (the demo's Russian rows): they become the built-ins, not renamed, and
    keep their clients; a renamed one stays custom; no duplicate is created."""
    RelationshipType._base_manager.filter(code__in=CODES).delete()  # a database before the migration
    old = {name: RelationshipType.objects.create(name=name, description="old")
           for name in ("VIP", "Постоянный", "Разовый", "Потенциальные клиенты")}
    client = CounterpartyFactory(relationship_type=old["Постоянный"])
    MIGRATION.add_builtins(global_apps, None)
    assert RelationshipType.objects.get(code="regular").pk == old["Постоянный"].pk
    assert stored_name(old["Постоянный"]) == "Regular"
    assert RelationshipType.objects.get(code="vip").pk == old["VIP"].pk
    assert RelationshipType.objects.get(code="one_off").pk == old["Разовый"].pk
    assert RelationshipType.objects.get(pk=old["Потенциальные клиенты"].pk).code == ""
    assert RelationshipType.objects.filter(code="potential").exclude(pk__in=[r.pk for r in old.values()]).exists()
    assert RelationshipType.objects.count() == 5
    with translation.override("en"):
        assert str(Counterparty.objects.get(pk=client.pk).relationship_type) == "Regular"
        assert str(RelationshipType.objects.get(pk=old["Потенциальные клиенты"].pk)) == "Потенциальные клиенты"
    MIGRATION.add_builtins(global_apps, None)  # a rerun changes nothing
    assert RelationshipType.objects.count() == 5


def test_migration_reverse_restores_russian_names(builtins):
    MIGRATION.remove_builtins(global_apps, None)
    assert stored_name(builtins["regular"]) == "Постоянный"
