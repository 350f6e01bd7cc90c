"""Helpers for set-based inserts (demo data, the benchmark)."""

from contextlib import contextmanager


@contextmanager
def own_timestamps(*models):
    """Keep the created_at / updated_at set on the rows of ``models``.

    bulk_create would stamp every row with "now" (auto_now / auto_now_add); the flags are
    switched off only for the duration of the inserts.
    """
    fields = [f for model in models for f in model._meta.concrete_fields
              if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add
