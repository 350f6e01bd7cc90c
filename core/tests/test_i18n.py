"""Translations are complete and the UI switches language."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
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
