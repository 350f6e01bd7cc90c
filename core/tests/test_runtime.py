import gc
import importlib

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
