import gc
import importlib

import pytest
from django.db import connection

from core import runtime


def test_the_server_process_freezes_what_it_loaded_and_collects_young_objects_less_often():
    threshold = gc.get_threshold()
    try:
        importlib.reload(importlib.import_module("klientura.wsgi"))
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold()[0] == runtime.YOUNG_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


@pytest.mark.django_db
def test_postgresql_connections_compile_no_query_plans():
    """JIT compilation cost a page's aggregate more than running it; SQLite has no such setting."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
