"""Built-in reference rows read in the user's language until renamed (issue 9, item 8)."""

import importlib

import pytest
from django.apps import apps as global_apps
from django.utils import translation

from activities.models import InteractionType
from sales.models import LostReason, OrderFailureReason, Pipeline, Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def builtins():
    Pipeline.ensure_default()
    InteractionType.ensure_builtin()
    OrderFailureReason.objects.get_or_create(code="client_refused", defaults={"name": "Client refused"})


@pytest.mark.parametrize("language, won, call, price", [
    ("en", "Won", "Incoming call", "High price"),
    ("ro", "Câștigată", "Incoming call", "High price"),  # the last two until the lead translates them
    ("ru", "Выиграна", "Входящий звонок", "Высокая цена"),
])
def test_builtin_names_show_in_the_active_language(builtins, language, won, call, price):
    with translation.override(language):
        assert str(Stage.objects.get(code="won")) == won
        assert Stage.objects.get(code="won").name == won
        assert InteractionType.by_code("incoming_call").name in {call, translation.gettext("Incoming call")}
        assert str(LostReason.objects.get(code="price")) in {price, translation.gettext("High price")}


def test_pipeline_and_stages_translated_in_romanian(builtins):
    with translation.override("ro"):
        assert str(Pipeline.default()) == "Vânzări"
        assert Stage.objects.get(code="lost").name == "Pierdută"


def test_renamed_row_shows_as_typed_in_every_language(builtins):
    stage = Stage.objects.get(code="won")
    stage.name = "Contract signed"
    stage.save()
    for language in ("ru", "en", "ro"):
        with translation.override(language):
            assert Stage.objects.get(pk=stage.pk).name == "Contract signed"


@pytest.mark.parametrize("language", ["ru", "en", "ro"])
def test_unchanged_save_keeps_the_row_builtin(builtins, language):
    """A form shows the translated name and posts it back: it is stored as the msgid again."""
    with translation.override(language):
        stage = Stage.objects.get(code="won")
        stage.name = stage.name  # what an unchanged form posts
        stage.save()
    stored = Stage.objects.filter(pk=stage.pk).values_list("name", flat=True).get()
    assert stored == "Won"
    with translation.override("ro"):
        assert Stage.objects.get(pk=stage.pk).name == "Câștigată"


def test_custom_rows_are_untouched(builtins):
    reason = LostReason.objects.create(name="Câștigată")  # no code: not a built-in
    with translation.override("en"):
        assert LostReason.objects.get(pk=reason.pk).name == "Câștigată"


def test_migration_marks_rows_named_as_the_russian_default(builtins):
    """An existing database: rows created with the old Russian names become built-in, not renamed;
    a renamed one keeps its name."""
    Stage.objects.filter(code="won").update(code="", name="Выиграна")
    Stage.objects.filter(code="lost").update(code="", name="Проиграли совсем")
    LostReason.objects.filter(code="price").update(code="", name="Высокая цена")
    migration = importlib.import_module("sales.migrations.0009_builtin_codes")
    migration.mark_builtins(global_apps, None)
    won = Stage.objects.get(pipeline=Pipeline.default(), kind="won")
    assert (won.code, Stage.objects.filter(pk=won.pk).values_list("name", flat=True).get()) == ("won", "Won")
    assert Stage.objects.get(kind="lost").code == ""
    assert LostReason.objects.filter(code="price").exists()
    with translation.override("en"):
        assert str(won) == "Won"
        assert str(Stage.objects.get(kind="lost")) == "Проиграли совсем"


def test_interaction_type_migration_marks_russian_defaults(builtins):
    InteractionType.objects.filter(code="meeting").update(name="Встреча")
    migration = importlib.import_module("activities.migrations.0003_builtin_names")
    migration.mark_builtins(global_apps, None)
    assert InteractionType.objects.filter(code="meeting").values_list("name", flat=True).get() == "Meeting"
