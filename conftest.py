"""Shared test fixtures: personas and factories live in core.tests.fixtures."""

import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


pytest_plugins = ["core.tests.fixtures"]
