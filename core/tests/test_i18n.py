"""Translations are complete and the UI switches language."""

import os
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

LOCALES = Path(settings.BASE_DIR) / "locale"


@pytest.mark.parametrize("lang", ["ru", "ro"])
def test_catalog_is_complete(lang):
    catalog = polib.pofile(str(LOCALES / lang / "LC_MESSAGES" / "django.po"))
    assert catalog.percent_translated() == 100
    assert not catalog.fuzzy_entries()


@pytest.mark.django_db
def test_language_switch_changes_the_ui(manager, client_for):
    c = client_for(manager)
    c.post(reverse("set_language"), {"language": "ru", "next": "/clients/"})
    assert "Контрагенты" in c.get(reverse("clients:counterparty_list")).content.decode()
    c.post(reverse("set_language"), {"language": "en", "next": "/clients/"})
    assert "Counterparties" in c.get(reverse("clients:counterparty_list")).content.decode()


@pytest.mark.skipif(not shutil.which("xgettext") and not os.environ.get("CI"),
                    reason="needs GNU gettext (Debian package gettext; .ci/run installs it)")
@pytest.mark.parametrize("lang", ["ru", "ro"])
def test_every_string_in_the_code_is_translated(lang, tmp_path, settings, monkeypatch):
    """makemessages over a copy of the tree merges into a copy of the catalog and adds nothing
    untranslated: a UI string added anywhere (a new app too) without its translation fails here."""
    root = Path(settings.BASE_DIR)
    outside = {"node_modules", "staticfiles", "var"}
    skip = shutil.ignore_patterns(".*", *outside, "__pycache__", "*.mo")
    for entry in root.iterdir():
        if entry.is_dir() and not entry.name.startswith(".") and entry.name not in outside:
            shutil.copytree(entry, tmp_path / entry.name, ignore=skip)
    monkeypatch.chdir(tmp_path)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    call_command("makemessages", locale=[lang], verbosity=0)
    catalog = polib.pofile(str(tmp_path / "locale" / lang / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in catalog.untranslated_entries() + catalog.fuzzy_entries()]
    assert not missing, missing
