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


DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences", "django_db_serialized_rollback"}


def _uses_database(items):
    return any(item.get_closest_marker("django_db") or DB_FIXTURES & set(getattr(item, "fixturenames", ()))
               for item in items)


@pytest.fixture(scope="session", autouse=True)
def _fresh_database_copies(request, django_db_setup, django_db_blocker):
    """Keep what the freshly migrated test database holds: a copy for tests that start real
    processes, and the seeded rows for after a flush. pytest-django sets up no test database when
    no collected test uses one (a run of only process tests): then there is nothing to keep, and
    the configured database must not be touched."""
    from core.tests import dbtemplate, seeds

    if not _uses_database(request.session.items):
        return
    with django_db_blocker.unblock():
        seeds.save()
        dbtemplate.capture()


def _flushes(item):
    marker = item.get_closest_marker("django_db")
    return ("transactional_db" in item.fixturenames or "live_server" in item.fixturenames
            or (marker is not None and marker.kwargs.get("transaction", False)))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test's flush, the migrations' seeded rows are put back (see
    core.tests.seeds): any test module may run next on this xdist worker."""
    result = yield
    if _flushes(item) and nextitem is not None:  # after the last test the test database is gone
        from pytest_django.plugin import blocking_manager_key

        from core.tests import seeds

        with item.config.stash[blocking_manager_key].unblock():
            seeds.restore()
    return result


pytest_plugins = ["core.tests.fixtures"]
