"""Every reference list built by ``core.routes.reference_urls``: the whole life of a row, and who may.

Generated from the URL resolver (the views carry ``reference_list``): a list added later gets
these tests by being declared with ``reference_urls``. An administrator lists, adds (a bad name
is a 400 naming the field), edits, deletes (to the trash) and restores; every other role may
look at the list but gets 403 on add and 404 on a row's edit and delete (settings models:
only administrators change them, core.access).
"""

import pytest
from django.urls import URLResolver, get_resolver, reverse

from core import registry
from core.routes import ReferenceList
from core.tests.html_forms import as_post_data, find_form, form_values

pytestmark = pytest.mark.django_db

# The lists that exist today: the walk must find at least these.
KNOWN = {"clients:group", "clients:reltype", "clients:region", "clients:industry", "activities:type",
         "sales:lostreason", "sales:failurereason", "sales:leadsource"}
OTHER_ROLES = ["head", "sales_head", "manager", "marketer", "quality", "service"]


def _views(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns)
        else:
            yield getattr(pattern.callback, "view_class", None)


def reference_lists():
    found = {getattr(view, "reference_list", None) for view in _views(get_resolver().url_patterns)}
    return sorted((ref for ref in found if isinstance(ref, ReferenceList)), key=lambda ref: (ref.namespace, ref.name))


LISTS = reference_lists()
IDS = [f"{ref.namespace}:{ref.name}" for ref in LISTS]
parametrize_lists = pytest.mark.parametrize("ref", LISTS, ids=IDS)


def make_row(ref, name="Образец"):
    return ref.model.objects.create(name=name)


def page_data(client, url):
    """What the form on ``url`` posts back untouched, as a dict of lists."""
    page = client.get(url)
    assert page.status_code == 200
    return as_post_data(form_values(find_form(page.content.decode())))


def test_the_walk_finds_every_reference_list():
    assert KNOWN <= set(IDS), IDS


@parametrize_lists
def test_routes_model_and_trash_fit_together(ref):
    for action in ("list", "add", "edit", "delete"):
        reverse(ref.url_name(action), args=[] if action in ("list", "add") else [1])
    assert ref.model.settings_model, "a reference list is a setting: only administrators change it"
    assert ref.model._meta.label_lower in registry.trash, "register the model in the trash (apps.py)"
    row = make_row(ref)
    assert row.get_absolute_url() == reverse(ref.url_name("edit"), args=[row.pk])


@parametrize_lists
def test_admin_lists(ref, admin_user, client_for):
    row = make_row(ref, "Строка списка")
    html = client_for(admin_user).get(reverse(ref.url_name("list"))).content.decode()
    assert f'href="{row.get_absolute_url()}"' in html
    assert f'href="{reverse(ref.url_name("add"))}"' in html
    # The name search works on every list.
    other = client_for(admin_user).get(reverse(ref.url_name("list")), {"q": "нет такого"}).content.decode()
    assert row.get_absolute_url() not in other


@parametrize_lists
def test_admin_adds(ref, admin_user, client_for):
    client, url = client_for(admin_user), reverse(ref.url_name("add"))
    data = page_data(client, url)
    data["name"] = ["Новая строка"]
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors if response.context else None
    assert response.url == reverse(ref.url_name("list"))
    row = ref.model.objects.get(name="Новая строка")
    assert row.history.count() == 1


@parametrize_lists
@pytest.mark.parametrize("bad_name", ["", "я" * 1000])
def test_a_bad_name_is_a_400_naming_the_field(ref, admin_user, client_for, bad_name):
    client, count = client_for(admin_user), ref.model.all_objects.count()
    url = reverse(ref.url_name("add"))
    data = page_data(client, url)
    data["name"] = [bad_name]
    response = client.post(url, data)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["name"]
    assert ref.model.all_objects.count() == count
    # Editing a row the same way is refused the same way, and changes nothing.
    row = make_row(ref)
    url = reverse(ref.url_name("edit"), args=[row.pk])
    data = page_data(client, url)
    data["name"] = [bad_name]
    response = client.post(url, data)
    assert response.status_code == 400 and list(response.context["form"].errors) == ["name"]
    row.refresh_from_db()
    assert row.name == "Образец" and row.version == 1


@parametrize_lists
def test_admin_edits(ref, admin_user, client_for):
    row, client = make_row(ref), client_for(admin_user)
    url = reverse(ref.url_name("edit"), args=[row.pk])
    html = client.get(url).content.decode()
    assert f'href="{reverse(ref.url_name("delete"), args=[row.pk])}"' in html  # the delete button
    data = page_data(client, url)
    data["name"] = ["Исправлено"]
    response = client.post(url, data)
    assert response.status_code == 302 and response.url == reverse(ref.url_name("list"))
    row.refresh_from_db()
    assert row.name == "Исправлено" and row.version == 2


@parametrize_lists
def test_admin_deletes_to_the_trash_and_restores(ref, admin_user, client_for):
    row, client = make_row(ref, "В корзину"), client_for(admin_user)
    url = reverse(ref.url_name("delete"), args=[row.pk])
    assert client.get(url).status_code == 200
    response = client.post(url)
    assert response.status_code == 302 and response.url == reverse(ref.url_name("list"))
    assert not ref.model.objects.filter(pk=row.pk).exists()
    assert ref.model.all_objects.get(pk=row.pk).deleted_at is not None
    assert row.get_absolute_url() not in client.get(reverse(ref.url_name("list"))).content.decode()
    restore = reverse("restore", args=[ref.model._meta.label_lower, row.pk])
    assert f'action="{restore}"' in client.get(reverse("trash")).content.decode()

    assert client.post(restore).status_code == 302
    assert ref.model.objects.filter(pk=row.pk).exists()
    assert row.get_absolute_url() in client.get(reverse(ref.url_name("list"))).content.decode()


@parametrize_lists
@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_only_look(ref, role, request, client_for):
    user = request.getfixturevalue(role)
    row, client = make_row(ref), client_for(user)
    html = client.get(reverse(ref.url_name("list"))).content.decode()
    assert row.get_absolute_url() in html  # they may see the list (forms offer its rows)…
    add = reverse(ref.url_name("add"))
    assert f'href="{add}"' not in html  # …without an Add button
    assert client.get(add).status_code == 403
    assert client.post(add, {"name": "Чужая строка", "order": 1}).status_code == 403
    edit = reverse(ref.url_name("edit"), args=[row.pk])
    assert client.get(edit).status_code == 404
    assert client.post(edit, {"name": "Чужое имя", "order": 1, "version": row.version}).status_code == 404
    delete = reverse(ref.url_name("delete"), args=[row.pk])
    assert client.get(delete).status_code == 404
    assert client.post(delete).status_code == 404
    row.refresh_from_db()
    assert (row.name, row.version, row.deleted_at) == ("Образец", 1, None)
    assert not ref.model.objects.filter(name="Чужая строка").exists()
    # Nor may they restore what an administrator deleted.
    row.delete()
    restore = reverse("restore", args=[ref.model._meta.label_lower, row.pk])
    assert client.post(restore).status_code == 404
    assert ref.model.all_objects.get(pk=row.pk).deleted_at is not None


# --- A row still in use is not deleted ---------------------------------------------------------

def test_a_group_in_use_is_not_deleted_so_its_clients_keep_it(admin_user, client_for):
    """Regression: a trashed group was missing from the client form's choices, so saving the
    client unchanged cleared its group."""
    from clients.tests.factories import CounterpartyFactory, GroupFactory

    group = GroupFactory(name="Опт")
    cp = CounterpartyFactory(group=group, main_manager=admin_user)
    client, url = client_for(admin_user), reverse("clients:group_delete", args=[group.pk])
    assert "(1)" in client.get(url).content.decode()  # the confirmation page warns already

    response = client.post(url)

    assert response.status_code == 409
    [message] = [str(m) for m in response.context["messages"]]
    assert "Опт" in message and "(1)" in message  # names the row and what uses it
    assert message in response.content.decode()
    group.refresh_from_db()
    assert group.deleted_at is None
    url = reverse("clients:counterparty_edit", args=[cp.pk])
    assert client.post(url, page_data(client, url)).status_code == 302
    cp.refresh_from_db()
    assert cp.group == group


@pytest.mark.parametrize(("ref_id", "child"), [
    ("clients:group", "child group"), ("activities:type", "interaction"), ("sales:lostreason", "deal"),
    ("sales:leadsource", "deal with the source")])
def test_a_row_in_use_is_refused_until_nothing_uses_it(ref_id, child, admin_user, client_for):
    from activities.tests.factories import InteractionFactory
    from sales.tests.factories import DealFactory

    ref = LISTS[IDS.index(ref_id)]
    row = make_row(ref, "Занято")
    user = {"child group": lambda: ref.model.objects.create(name="Дочерняя", parent=row),
            "interaction": lambda: InteractionFactory(type=row),
            "deal": lambda: DealFactory(lost_reason=row, responsible=admin_user),
            "deal with the source": lambda: DealFactory(lead_source=row, responsible=admin_user)}[child]()
    client, url = client_for(admin_user), reverse(ref.url_name("delete"), args=[row.pk])
    assert client.post(url).status_code == 409
    assert ref.model.objects.filter(pk=row.pk).exists()

    user.delete()  # once what used it is in the trash, the row may go too
    assert client.post(url).status_code == 302
    assert not ref.model.objects.filter(pk=row.pk).exists()


def test_the_api_refuses_to_delete_a_row_in_use(admin_user, api):
    from clients.tests.factories import CounterpartyFactory

    ref = LISTS[IDS.index("clients:group")]
    row = make_row(ref, "Занято")
    client = CounterpartyFactory(group=row)
    resp = api(admin_user).delete(f"/api/counterparty-groups/{row.pk}/")
    assert resp.status_code == 409 and resp.json()["code"] == "in_use" and "Занято" in resp.json()["detail"]
    assert ref.model.objects.filter(pk=row.pk).exists()
    client.delete()
    assert api(admin_user).delete(f"/api/counterparty-groups/{row.pk}/").status_code == 204
