"""The rows the migrations seed (the default pipeline, interaction types, lead sources…), saved
when the test database is fresh and put back after a test that flushed it.

A transactional test (``django_db(transaction=True)``, the browser tests' live server) ends with
Django flushing every table. Run serially, pytest-django orders those tests last; with xdist a
worker may run other modules after one, and they expect the seeded rows of a migrated install.
"""

import itertools

from django.apps import apps
from django.core import serializers
from django.db import transaction

APPS = ["core", "clients", "activities", "sales", "analytics", "marketing", "service", "knowledge"]

_saved = None
_sentinel = None


def _seeded_models():
    return [model for label in APPS for model in apps.get_app_config(label).get_models()
            if model._meta.managed and not model._meta.proxy and model._base_manager.exists()]


def save():
    global _saved, _sentinel
    models = _seeded_models()
    _sentinel = models[0] if models else None
    _saved = serializers.serialize("json", itertools.chain.from_iterable(
        model._base_manager.order_by("pk") for model in models))


def restore():
    """Put the seeded rows back if a flush removed them; returns whether it did."""
    if _sentinel is None or _sentinel._base_manager.exists():
        return False
    with transaction.atomic():
        for obj in serializers.deserialize("json", _saved):
            obj.save()
    return True
