"""The access matrix, generated for every owner-scoped model, route and API endpoint.

Models come from ``apps.get_models()`` (``owner_scoped = True``), their sample rows from the
builders apps register in their ``tests/factories.py`` (core/tests/samples.py), routes from the
URL resolver and API endpoints from the DRF router. Two sales managers each own one row of
every model, marked with a token; for each persona:

- owner (``manager``): sees, changes, deletes and restores the row; never sees the teammate's;
- ``teammate``: 404 on every route of the owner's row, never the token in a page, export or
  API body, and nothing changes;
- ``head``: everything;
- read-only (``quality``): sees, but change / delete / restore are 404 in the UI (``restrict``
  finds no row) and 403 in the API (``RolePermission``); adding is 403.

Forms re-shown after an error must not name the teammate's rows either. A model without a
sample, or a route / API action nobody exercises, fails the meta-tests.
"""

import io
import re
from dataclasses import dataclass

import pytest
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.test import Client, RequestFactory, override_settings
from django.urls import URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

import klientura.api_urls  # noqa: F401  every app registers its viewsets on import
from clients.models import Counterparty
from core import access, registry
from core.access import Role
from core.api.router import router
from core.models import walking
from core.tests import samples
from core.tests.factories import UserFactory
from core.views import generic

samples.load_contributions()

# Persona -> (username, role), as in core/tests/fixtures.py. One head: the company head and the
# head of sales have the same rule in core.access (all rows, all actions).
PERSONAS = {
    "manager": ("manager1", Role.SALES_MANAGER),
    "teammate": ("manager2", Role.SALES_MANAGER),
    "head": ("head", Role.COMPANY_HEAD),
    "quality": ("quality", Role.QUALITY),
}
OWNER_TOKEN, TEAMMATE_TOKEN = "Zorgalpha", "Quimbeta"


def read_only(persona, model=None):
    """Read-only roles; sales managers too on ``head_managed`` models (only heads write those).
    A model's ``writer_roles`` write it although their role only reads (quality: complaints, surveys)."""
    if PERSONAS[persona][1] in getattr(model, "writer_roles", ()):
        return False
    return persona == "quality" or (persona in ("manager", "teammate") and getattr(model, "head_managed", False))


def allowed(persona, action, model=None):
    """May ``persona`` perform ``action`` on the owner's (``manager``'s) rows?"""
    if persona == "teammate":
        return False
    if read_only(persona, model):
        return action == access.VIEW
    return True


def may_add(persona, model=None):
    return not read_only(persona, model)


def role_may(persona, action, model=None):
    """May the persona's role perform ``action`` at all (on some rows)?"""
    return not read_only(persona, model) or action == access.VIEW


# --- Discovery: routes and API endpoints of owner-scoped models --------------------------------

def is_owner_scoped(model):
    return bool(model is not None and getattr(model, "owner_scoped", False))


@dataclass(frozen=True)
class Route:
    name: str
    view: type
    params: tuple

    @property
    def model(self):
        return self.view.model

    def __str__(self):
        return self.name


def _walk(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = ":".join(filter(None, [namespace, pattern.namespace])) if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, ns)
            continue
        view = getattr(pattern.callback, "view_class", None)
        if view is None or hasattr(pattern.callback, "cls") or not pattern.name:
            continue  # DRF viewsets are walked through the router
        if is_owner_scoped(getattr(view, "model", None)):
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield Route(name, view, tuple(pattern.pattern.converters))


def ui_routes():
    seen = {}
    for route in _walk(get_resolver().url_patterns):
        seen.setdefault(route.name, route)
    return list(seen.values())


def _all_names(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = ":".join(filter(None, [namespace, pattern.namespace])) if pattern.namespace else namespace
            if ns != "admin":
                yield from _all_names(pattern.url_patterns, ns)
        elif pattern.name and not getattr(pattern.pattern, "converters", True) and \
                not hasattr(pattern.callback, "cls"):
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


# Pages without parameters (dashboards, calendars, reports, …) that may aggregate anyone's rows.
PAGES = sorted(set(_all_names(get_resolver().url_patterns)) - {"logout", "login", "set_language"})


def parent_field(model, param):
    """The owner-scoped model a URL parameter such as ``counterparty`` names, if any."""
    try:
        field = model._meta.get_field(param)
    except FieldDoesNotExist:
        return None
    return field.related_model if is_owner_scoped(field.related_model) else None


def kind_of(route):
    """How the generic walk exercises a route; None when it needs a probe it does not have."""
    if route.name in samples.PROBES:
        return "probe"
    view, params = route.view, set(route.params)
    if issubclass(view, generic.ObjectListView) and not params:
        return "list"
    if issubclass(view, generic.ObjectDetailView) and params == {"pk"}:
        return "detail"
    if issubclass(view, generic.ObjectDeleteView) and params == {"pk"}:
        return "delete"
    if issubclass(view, generic.ObjectEditView):
        if params == {"pk"}:
            return "edit"
        if not params:
            return "add"
        if len(params) == 1 and parent_field(route.model, route.params[0]):
            return "add_under"
    return None


def api_viewsets():
    for prefix, viewset, basename in router.registry:
        model = getattr(viewset, "model", None) or getattr(getattr(viewset, "queryset", None), "model", None)
        if is_owner_scoped(model):
            yield prefix, viewset, basename, model


GENERIC_API_ACTIONS = {"restore", "history"}


def api_probe_names():
    for _prefix, viewset, basename, _model in api_viewsets():
        for act in viewset.get_extra_actions():
            if act.__name__ not in GENERIC_API_ACTIONS:
                yield f"api:{basename}-{act.url_name}"


ROUTES = ui_routes()
API = list(api_viewsets())
TRASH_MODELS = [m for m in registry.trash if is_owner_scoped(m)]
# Forms a sales manager may open (head-managed models refuse them the form altogether).
FORM_ROUTES = [r for r in ROUTES if kind_of(r) in ("add", "edit", "add_under")
               and not getattr(r.model, "head_managed", False)]

def _form_param(route):
    return pytest.param(route, id=route.name)


# --- The world: built once per module, rolled back at its end -----------------------------------

@pytest.fixture(scope="module", autouse=True)
def _media_in_tmp(tmp_path_factory):
    """Module-wide (overrides the per-test one): the sample document's file must outlive a test."""
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        yield


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, _media_in_tmp):
    with django_db_blocker.unblock(), transaction.atomic():
        users = {p: UserFactory(username=u, role=r) for p, (u, r) in PERSONAS.items()}
        owner = samples.World(users["manager"], OWNER_TOKEN).build()
        other = samples.World(users["teammate"], TEAMMATE_TOKEN).build()
        yield {"users": users, "owner": owner, "other": other}
        transaction.set_rollback(True)


@pytest.fixture
def owner(world):
    return world["owner"]


def ui_client(world, persona):
    c = Client()
    c.force_login(world["users"][persona])
    return c


def api_client(world, persona):
    c = APIClient()
    c.force_authenticate(world["users"][persona])
    return c


def fresh(row):
    return samples.all_rows(type(row)).get(pk=row.pk)


def body_text(resp):
    if getattr(resp, "streaming", False):
        content = b"".join(resp.streaming_content)
    else:
        content = resp.content
    if resp.get("Content-Type", "").startswith("application/vnd.openxmlformats-officedocument.spreadsheetml"):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(str(v) for sheet in book.worksheets for r in sheet.iter_rows(values_only=True)
                         for v in r if v is not None)
    return content.decode("utf-8-sig", errors="replace")


def assert_visibility(text, persona, world, positive=True, where=""):
    """The owner's token shows exactly where the persona sees the owner's rows; no one else's leaks."""
    if persona == "teammate":
        assert OWNER_TOKEN not in text, f"{where}: the teammate sees the owner's row"
        if positive:
            assert TEAMMATE_TOKEN in text, f"{where}: the teammate misses their own row"
        return
    if persona == "manager":
        assert TEAMMATE_TOKEN not in text, f"{where}: the owner sees the teammate's row"
    if positive:
        assert OWNER_TOKEN in text, f"{where}: {persona} misses the owner's row"


def assert_refused(resp, expected, state_before, owner, where):
    assert resp.status_code == expected, f"{where}: {resp.status_code}, expected {expected}"
    assert OWNER_TOKEN not in body_text(resp), f"{where}: the refusal names the owner's row"
    assert owner.state() == state_before, f"{where}: a refused request changed data"


# --- Meta: nothing owner-scoped escapes the matrix ----------------------------------------------

def test_every_owner_scoped_model_has_a_sample():
    missing = [m._meta.label for m in samples.owner_scoped_models() if m not in samples.SAMPLES]
    assert not missing, f"register a sample in the app's tests/factories.py for: {missing}"


def test_every_route_and_api_action_is_exercised():
    assert ROUTES and API
    unknown = [r.name for r in ROUTES if kind_of(r) is None]
    unknown += [name for name in api_probe_names() if name not in samples.PROBES]
    assert not unknown, f"register a probe (core.tests.samples.probe) for: {unknown}"
    stale = set(samples.PROBES) - {r.name for r in ROUTES} - set(api_probe_names())
    assert not stale, f"probes of routes that no longer exist: {stale}"


def test_every_owner_scoped_model_is_restorable_from_the_trash():
    # Derived rows (analysis results) are recomputed, never edited or deleted by hand.
    missing = [m._meta.label for m in samples.owner_scoped_models()
               if m not in TRASH_MODELS and not getattr(m, "derived", False)]
    assert not missing, f"register these in core.registry.trash: {missing}"


@pytest.mark.django_db
def test_samples_belong_to_their_owner(world):
    """Each sample is the owner's and only the owner's: else the matrix would prove nothing."""
    for name, (mine, theirs) in {"manager": ("owner", "other"), "teammate": ("other", "owner")}.items():
        user = world["users"][name]
        for model, row in world[mine].rows.items():
            assert model.objects.restrict(user).filter(pk=row.pk).exists(), model
            assert not model.objects.restrict(user).filter(pk=world[theirs].rows[model].pk).exists(), model
            # The scope's form for index walks (core.models.walking) gives the same rows.
            if getattr(model, "owner_scoped", False):
                rows = model._base_manager.all()
                with walking():
                    walk = model.own_q(user)
                assert set(rows.filter(walk)) == set(rows.filter(model.own_q(user))), model


# --- UI routes ------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("route", [r for r in ROUTES if kind_of(r)], ids=str)
def test_ui_route(route, persona, world, owner):
    check = globals()[f"check_{kind_of(route)}"]
    check(route, persona, world, owner, ui_client(world, persona))


def check_list(route, persona, world, owner, c):
    url = reverse(route.name)
    for params in ({"per_page": 100}, {"export": "csv"}, {"export": "xlsx"}):
        resp = c.get(url, params)
        assert resp.status_code == 200, (url, params, resp.status_code)
        assert_visibility(body_text(resp), persona, world, where=f"{url} {params}")


def check_detail(route, persona, world, owner, c):
    url = reverse(route.name, kwargs={"pk": owner.get(route.model).pk})
    resp = c.get(url)
    if allowed(persona, access.VIEW, route.model):
        assert resp.status_code == 200, (url, resp.status_code)
    else:
        assert_refused(resp, 404, owner.state(), owner, url)


def check_edit(route, persona, world, owner, c):
    row = fresh(owner.get(route.model))
    url = reverse(route.name, kwargs={"pk": row.pk})
    if allowed(persona, access.CHANGE, route.model):
        assert c.get(url).status_code == 200, url
        return
    before = owner.state()
    assert_refused(c.get(url), 404, before, owner, f"GET {url}")
    assert_refused(c.post(url, {"version": row.version}), 404, before, owner, f"POST {url}")


def check_add(route, persona, world, owner, c):
    url = reverse(route.name)
    resp = c.get(url)
    assert resp.status_code == (200 if may_add(persona, route.model) else 403), (url, resp.status_code)
    # Opening the form "from the card" of a client one may not change: refused or ignored.
    resp = c.get(url, {"counterparty": owner.get(Counterparty).pk})
    if not allowed(persona, access.CHANGE, route.model):
        assert resp.status_code in (200, 403, 404), (url, resp.status_code)
        assert OWNER_TOKEN not in body_text(resp), url


def check_add_under(route, persona, world, owner, c):
    param = route.params[0]
    parent = owner.get(parent_field(route.model, param))
    url = reverse(route.name, kwargs={param: parent.pk})
    if allowed(persona, access.CHANGE, route.model) and may_add(persona, route.model):
        assert c.get(url).status_code == 200, url
        return
    before = owner.state()
    assert_refused(c.get(url), 404, before, owner, f"GET {url}")
    assert_refused(c.post(url, {}), 404, before, owner, f"POST {url}")


def check_delete(route, persona, world, owner, c):
    row = owner.get(route.model)
    url = reverse(route.name, kwargs={"pk": row.pk})
    if not allowed(persona, access.DELETE, route.model):
        before = owner.state()
        assert_refused(c.get(url), 404, before, owner, f"GET {url}")
        assert_refused(c.post(url), 404, before, owner, f"POST {url}")
        return
    assert c.get(url).status_code == 200, url
    assert c.post(url).status_code == 302, url
    assert fresh(row).is_deleted


def check_probe(route, persona, world, owner, c):
    probe = samples.PROBES[route.name]
    if probe.kind == "list":
        kwargs = probe.kwargs(owner) if probe.kwargs else {}
        url = reverse(route.name, kwargs=kwargs)
        data = probe.data(owner, None) if probe.data else {}
        resp = getattr(c, probe.method)(url, data)
        if not role_may(persona, probe.action, route.model):
            assert resp.status_code == 403, (url, resp.status_code)
        assert resp.status_code in (200, 302, 403), (url, resp.status_code)
        assert_visibility(body_text(resp), persona, world, positive=probe.positive and resp.status_code == 200,
                          where=url)
        return
    row = fresh(owner.get(probe.target or route.model))
    url = reverse(route.name, kwargs=probe.kwargs(owner) if probe.kwargs else {"pk": row.pk})
    data = probe.data(owner, row) if probe.data else {}
    before = owner.state()
    resp = getattr(c, probe.method)(url, data)
    # A head-managed model (only heads write) decides, even when the route acts on another row.
    model = route.model if getattr(route.model, "head_managed", False) else probe.target or route.model
    if allowed(persona, probe.action, model):
        assert resp.status_code < 400, (url, resp.status_code)
    else:
        # Refused by role on a row the persona sees (head_managed): "ui_role_denied" if given.
        expected = probe.extra.get("ui_denied", 404)
        if allowed(persona, access.VIEW, route.model):
            expected = probe.extra.get("ui_role_denied", expected)
        assert_refused(resp, expected, before, owner, url)


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_no_page_names_the_owners_rows_to_the_teammate(name, world):
    """Every page without parameters, opened by the teammate, names none of the owner's rows."""
    resp = ui_client(world, "teammate").get(reverse(name), follow=True)
    assert resp.status_code < 500
    assert OWNER_TOKEN not in body_text(resp), name


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", [prefix for prefix, _viewset, _basename in router.registry])
def test_no_api_list_names_the_owners_rows_to_the_teammate(prefix, world):
    resp = api_client(world, "teammate").get(f"/api/{prefix}/")
    assert resp.status_code < 500
    assert OWNER_TOKEN not in resp.content.decode(), prefix


def test_one_head_persona_covers_both_head_roles():
    assert access.ROLE_RULES[Role.SALES_HEAD] == access.ROLE_RULES[Role.COMPANY_HEAD]


# --- Trash and restore ----------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("model", TRASH_MODELS, ids=lambda m: m._meta.label_lower)
def test_trash_and_restore(model, persona, world, owner):
    row = fresh(owner.get(model))
    row.delete()
    c = ui_client(world, persona)
    restore_url = reverse("restore", args=[model._meta.label_lower, row.pk])
    trash = c.get(reverse("trash"))
    assert trash.status_code == 200
    shown = restore_url in trash.content.decode()
    assert shown is allowed(persona, access.DELETE, model), f"{persona}: trash shows {model.__name__}: {shown}"
    if not allowed(persona, access.VIEW, model):
        assert OWNER_TOKEN not in trash.content.decode()
    before = owner.state()
    resp = c.post(restore_url)
    if allowed(persona, access.DELETE, model):
        assert resp.status_code == 302 and not fresh(row).is_deleted
    else:
        assert_refused(resp, 404, before, owner, restore_url)


# --- API ------------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("prefix", "viewset", "basename", "model"), API, ids=[a[2] for a in API])
def test_api(prefix, viewset, basename, model, persona, world, owner):
    c = api_client(world, persona)
    row = fresh(owner.get(model))
    base, detail = f"/api/{prefix}/", f"/api/{prefix}/{row.pk}/"
    # The role check (403) comes before the row lookup (404) for a role that may not write at all.
    denied = 404 if persona == "teammate" and not read_only(persona, model) else 403

    resp = c.get(base, {"page_size": 500})
    assert resp.status_code == 200, resp.content
    ids = {item["id"] for item in resp.json()["results"]}
    assert (row.pk in ids) is allowed(persona, access.VIEW, model), f"{base}: {persona}"
    assert_visibility(resp.content.decode(), persona, world, where=base)

    expected = 200 if allowed(persona, access.VIEW, model) else 404
    assert c.get(detail).status_code == expected, detail
    if hasattr(viewset, "history"):
        assert c.get(f"{detail}history/").status_code == expected, f"{detail}history/"

    if "patch" in viewset.http_method_names and hasattr(viewset, "partial_update"):
        before = owner.state()
        resp = c.patch(detail, {"version": row.version}, format="json")
        if allowed(persona, access.CHANGE, model):
            assert resp.status_code == 200, (detail, resp.content)
        else:
            assert_refused(resp, denied, before, owner, f"PATCH {detail}")

    row = fresh(row)
    if "delete" not in viewset.http_method_names or not hasattr(viewset, "destroy"):
        return
    before = owner.state()
    resp = c.delete(detail)
    if allowed(persona, access.DELETE, model):
        assert resp.status_code == 204, (detail, resp.content)
        assert fresh(row).is_deleted
    else:
        assert_refused(resp, denied, before, owner, f"DELETE {detail}")
        fresh(row).delete()  # trashed by its owner: the persona may still not restore it
    if hasattr(viewset, "restore"):
        before = owner.state()
        resp = c.post(f"{detail}restore/")
        if allowed(persona, access.DELETE, model):
            assert resp.status_code == 200, (detail, resp.content)
            assert not fresh(row).is_deleted
        else:
            assert_refused(resp, denied, before, owner, f"restore {detail}")


API_PROBES = sorted(name for name in samples.PROBES if name.startswith("api:"))


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", API_PROBES)
def test_api_action(name, persona, world, owner):
    probe = samples.PROBES[name]
    row = fresh(owner.get(probe.target))
    url = reverse(name.removeprefix("api:"), kwargs=probe.kwargs(owner) if probe.kwargs else {"pk": row.pk})
    data = probe.data(owner, row) if probe.data else {}
    c = api_client(world, persona)
    before = owner.state()
    resp = c.post(url, data, format="json") if probe.method == "post" else c.get(url, data)
    # ``assigners_only``: what the forms leave to heads and administrators (sharing a client).
    may = allowed(persona, probe.action, probe.target) and (
        not probe.extra.get("assigners_only") or PERSONAS[persona][1] in access.ASSIGNING_ROLES)
    if may:
        assert resp.status_code < 400, (url, resp.status_code, body_text(resp)[:300])
    else:
        expected = probe.extra.get("api_denied", 404) if persona == "teammate" else 403
        assert_refused(resp, expected, before, owner, url)


# --- Forms re-shown after an error ------------------------------------------------------------------

def scoped_fields(route, user, kwargs):
    """Form fields whose choices or lookup come from an owner-scoped model: {name: (model, multiple)}."""
    request = RequestFactory().get(reverse(route.name, kwargs=kwargs))
    request.user = user
    view = route.view()
    view.setup(request, **kwargs)
    form = view.get_form(view.get_object(kwargs.get("pk")))
    fields = {}
    for name, field in form.fields.items():
        queryset = getattr(field, "queryset", None)
        if queryset is not None and is_owner_scoped(queryset.model):
            fields[name] = (queryset.model, isinstance(field, forms.ModelMultipleChoiceField))
    return fields


@pytest.mark.django_db
@pytest.mark.parametrize("route", [_form_param(r) for r in FORM_ROUTES])
def test_form_reshown_after_error_names_no_foreign_row(route, world, owner):
    """As the owner, post the teammate's row ids: the 400 page must not name those rows."""
    other = world["other"]
    kind = kind_of(route)
    if kind == "edit":
        kwargs = {"pk": owner.get(route.model).pk}
    elif kind == "add_under":
        kwargs = {route.params[0]: owner.get(parent_field(route.model, route.params[0])).pk}
    else:
        kwargs = {}
    fields = scoped_fields(route, world["users"]["manager"], kwargs)
    posts = {name: {name: [other.get(m).pk] if multi else other.get(m).pk}
             for name, (m, multi) in fields.items()}
    if len(posts) > 1:  # together too: dependent choices (a client's persons) follow the client
        posts["all"] = {k: v for post in posts.values() for k, v in post.items()}
    c = ui_client(world, "manager")
    url = reverse(route.name, kwargs=kwargs)
    leaks = []
    for name, data in posts.items():
        resp = c.post(url, data)
        assert resp.status_code in (200, 400), (url, name, resp.status_code)
        shown = sorted(set(re.findall(rf"{TEAMMATE_TOKEN} [a-z]+", resp.content.decode())))
        if shown:
            leaks.append(f"{name} → {', '.join(shown)}")
    assert not leaks, f"{url} re-shows the teammate's rows posted in: {leaks}"
