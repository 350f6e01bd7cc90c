"""Every edit form, in every UI language, opened and saved unchanged, changes nothing.

Generated from the URL resolver: each route to an ``ObjectEditView`` that takes a pk is opened
as an administrator on a record of the demo company, and the form is posted back exactly as a
browser would (dates the browser cannot read are dropped, as a real one does). A model added
later gets the guarantee by having an edit route; the meta-test fails if it has no sample.
"""

import datetime as dt
import io

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.urls import URLResolver, get_resolver, reverse

from core.tests.html_forms import as_post_data, find_form, form_values
from core.views.generic import ObjectEditView

NOW = dt.datetime(2025, 3, 12, 7, 0, tzinfo=dt.UTC)
LANGUAGES = [code for code, _name in settings.LANGUAGES]
SAMPLE_CANDIDATES = 30  # rows per model among which the most filled-in one is the sample

# Edit views that are not ObjectEditView subclasses: none today (the order card's shipment and
# payment forms only add rows; users are edited in the Django admin). List them here if added.
OTHER_EDIT_ROUTES = []


def _walk(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, inner)
        else:
            yield f"{namespace}{pattern.name}", pattern


def edit_routes():
    """(url name, view class) of every edit route that takes the record's pk."""
    routes = []
    for name, pattern in _walk(get_resolver().url_patterns):
        view = getattr(pattern.callback, "view_class", None)
        if view is None or "pk" not in pattern.pattern.converters:
            continue
        if issubclass(view, ObjectEditView) or name in OTHER_EDIT_ROUTES:
            routes.append((name, view))
    return sorted(routes)


ROUTES = edit_routes()


def history_count():
    """History rows of every model, so children saved with a parent are counted too."""
    return sum(model.objects.count() for model in apps.get_models()
               if model._meta.model_name.startswith("historical"))


def extra_samples():
    """Rows the demo company does not have."""
    from sales.models import DocumentKind, DocumentTemplate, Pipeline, StageRule

    if not DocumentTemplate.objects.exists():
        DocumentTemplate.objects.create(name="Счёт", kind=DocumentKind.choices[0][0])
    if not StageRule.objects.exists():
        stage = Pipeline.ensure_default().stages.order_by("order").first()
        StageRule.objects.create(stage=stage, title="Позвонить клиенту")
    from analytics.models import SalesPlan
    from core.models import User

    if not SalesPlan.objects.exists():
        SalesPlan.objects.create(manager=User.objects.filter(role="sales_manager").order_by("pk").first(),
                                 month=dt.date(2025, 3, 1), revenue=500000, currency="RUB", new_clients=3, contacts=60)


@pytest.fixture(scope="module")
def demo_company(django_db_setup, django_db_blocker):
    """The demo company, loaded once for the module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        with time_machine.travel(NOW, tick=False):
            # Every app's registered demo loader (core.registry.demo_loaders).
            call_command("load_demo", password="demo-password-1", stdout=io.StringIO())
            extra_samples()
        yield
        transaction.set_rollback(True)


def _filled(obj):
    return sum(getattr(obj, f.attname) not in (None, "", [], {}) for f in obj._meta.concrete_fields)


def sample(model):
    """The most filled-in of the first rows: empty fields would hide a lost value."""
    rows = list(model.objects.order_by("pk")[:SAMPLE_CANDIDATES])
    return max(rows, key=_filled) if rows else None


def test_the_demo_users_have_the_given_password(demo_company, db):
    """Outside demo mode ``load_demo`` takes ``--password`` for the users it creates."""
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.get(username="manager1").check_password("demo-password-1")


def test_every_edit_route_has_a_sample(demo_company, db):
    assert len(ROUTES) >= 15, ROUTES  # the walk found the edit routes
    missing = [name for name, view in ROUTES if sample(view.model) is None]
    assert not missing, f"edit routes without a sample row (add one in extra_samples): {missing}"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(("name", "view"), ROUTES, ids=[name for name, _view in ROUTES])
def test_unchanged_save_changes_nothing(demo_company, db, admin_user, client, lang, name, view):
    obj = sample(view.model)
    if obj is None:
        pytest.skip("no sample row: see test_every_edit_route_has_a_sample")
    client.force_login(admin_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    url = reverse(name, args=[obj.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = as_post_data(form_values(find_form(page.content.decode())))
    before, version = history_count(), obj.version

    resp = client.post(url, data)

    errors = resp.context["form"].errors if resp.status_code != 302 and resp.context else None
    assert resp.status_code == 302, (resp.status_code, errors)
    assert history_count() == before
    obj.refresh_from_db()
    assert obj.version == version
