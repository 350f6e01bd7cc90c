"""Shared test fixtures: personas and factories live in core.tests.fixtures."""

import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request through LocaleMiddleware leaves the
    thread in the language it chose (ro after an unchanged-save run), and messages checked in
    English would depend on which test ran before in the same process."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


pytest_plugins = ["core.tests.fixtures"]
