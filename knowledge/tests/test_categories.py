"""The category tree: paths, cycles refused (form and API), articles of subcategories found by a
category filter (page and API), and the trash keeping the tree whole."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from knowledge.models import ArticleCategory

from .factories import ArticleFactory, CategoryFactory

pytestmark = pytest.mark.django_db

CATEGORIES_API = "/api/knowledge-categories/"
ARTICLES_API = "/api/knowledge-articles/"


@pytest.fixture
def tree():
    """Холодильное оборудование › Витрины › Бонеты, and Регламенты beside them."""
    equipment = CategoryFactory(name="Холодильное оборудование")
    cases = CategoryFactory(name="Витрины", parent=equipment)
    chests = CategoryFactory(name="Бонеты", parent=cases)
    rules = CategoryFactory(name="Регламенты")
    return equipment, cases, chests, rules


def test_the_path_follows_renames_and_moves(tree):
    equipment, cases, chests, rules = tree
    assert str(chests) == "Холодильное оборудование › Витрины › Бонеты"
    equipment.name = "Оборудование"
    equipment.save()
    chests.refresh_from_db()
    assert str(chests) == "Оборудование › Витрины › Бонеты"
    assert chests.version == 1  # a derived column: no new version for the rows below
    cases.refresh_from_db()
    cases.parent = rules
    cases.save()
    chests.refresh_from_db()
    assert chests.path == "Регламенты › Витрины › Бонеты"
    assert equipment.subtree_ids() == {equipment.pk}
    assert rules.subtree_ids() == {rules.pk, cases.pk, chests.pk}


def test_form_refuses_cycles_naming_the_parent(tree, admin_user, client_for):
    equipment, cases, chests, _rules = tree
    client = client_for(admin_user)
    for category, parent in ((equipment, chests), (equipment, equipment), (cases, chests)):
        category.refresh_from_db()
        response = client.post(reverse("knowledge:category_edit", args=[category.pk]), {
            "name": category.name, "parent": parent.pk, "order": 0, "version": category.version})
        assert response.status_code == 400
        assert list(response.context["form"].errors) == ["parent"]
        category.refresh_from_db()
        assert category.parent_id == (cases.parent_id if category == cases else None)
    # A legal move works.
    response = client.post(reverse("knowledge:category_edit", args=[chests.pk]), {
        "name": chests.name, "parent": equipment.pk, "order": 0, "version": chests.version})
    assert response.status_code == 302
    chests.refresh_from_db()
    assert str(chests) == "Холодильное оборудование › Бонеты"


def test_api_refuses_cycles_with_a_400_naming_the_parent(tree, admin_user, api):
    equipment, _cases, chests, _rules = tree
    client = api(admin_user)
    for parent in (chests, equipment):
        response = client.patch(f"{CATEGORIES_API}{equipment.pk}/", {"parent": parent.pk, "version": 1},
                                format="json")
        assert response.status_code == 400, response.content
        assert list(response.json()) == ["parent"]
    equipment.refresh_from_db()
    assert equipment.parent_id is None and equipment.version == 1
    response = client.post(CATEGORIES_API, {"name": "Лари", "parent": chests.pk}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["path"] == "Холодильное оборудование › Витрины › Бонеты › Лари"


def test_the_settings_list_shows_paths_without_a_query_per_row(tree, admin_user, client_for):
    client = client_for(admin_user)
    url = reverse("knowledge:category_list")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        html = client.get(url).content.decode()
    assert "Холодильное оборудование › Витрины › Бонеты" in html
    # By path: a parent, then what is inside it.
    rows = ["Регламенты<", "Холодильное оборудование<", "Холодильное оборудование › Витрины<",
            "Холодильное оборудование › Витрины › Бонеты<"]
    assert [html.index(row) for row in rows] == sorted(html.index(row) for row in rows)
    for i in range(10):
        CategoryFactory(name=f"Подкатегория {i}", parent=tree[1])
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_a_category_filter_includes_subcategories(tree, manager, client_for, api):
    equipment, cases, chests, rules = tree
    ArticleFactory(title="Оборудование вообще", category=equipment)
    ArticleFactory(title="Витрины: выбор", category=cases)
    ArticleFactory(title="Бонеты: оттайка", category=chests)
    ArticleFactory(title="Регламент рекламаций", category=rules)
    ArticleFactory(title="Без категории")

    def api_titles(category):
        response = api(manager).get(ARTICLES_API, {"category": category.pk})
        assert response.status_code == 200
        return {r["title"] for r in response.json()["results"]}

    assert api_titles(equipment) == {"Оборудование вообще", "Витрины: выбор", "Бонеты: оттайка"}
    assert api_titles(cases) == {"Витрины: выбор", "Бонеты: оттайка"}
    assert api_titles(chests) == {"Бонеты: оттайка"}
    html = client_for(manager).get("/knowledge/articles/", {"category": cases.pk}).content.decode()
    assert "Витрины: выбор" in html and "Бонеты: оттайка" in html
    assert "Оборудование вообще" not in html and "Регламент рекламаций" not in html
    # With a search too.
    html = client_for(manager).get("/knowledge/articles/", {"category": equipment.pk, "q": "оттайка"}).content.decode()
    assert "Бонеты: оттайка" in html
    results = api(manager).get(ARTICLES_API, {"category": cases.pk, "q": "выбор"}).json()["results"]
    assert [r["title"] for r in results] == ["Витрины: выбор"]
    assert results[0]["category_path"] == "Холодильное оборудование › Витрины"


def test_the_card_and_the_list_show_the_path(tree, manager, client_for):
    article = ArticleFactory(title="Бонеты: оттайка", category=tree[2])
    card = client_for(manager).get(article.get_absolute_url()).content.decode()
    assert "Холодильное оборудование › Витрины › Бонеты" in card
    assert f"?category={tree[2].pk}" in card
    page = client_for(manager).get("/knowledge/articles/").content.decode()
    assert "Холодильное оборудование › Витрины › Бонеты" in page


def test_a_category_with_live_subcategories_is_not_trashed(tree, admin_user, client_for, api):
    equipment, cases, chests, _rules = tree
    client = client_for(admin_user)
    response = client.post(reverse("knowledge:category_delete", args=[cases.pk]))
    assert response.status_code == 409
    assert api(admin_user).delete(f"{CATEGORIES_API}{equipment.pk}/").status_code == 409
    assert ArticleCategory.objects.filter(pk__in=[equipment.pk, cases.pk]).count() == 2
    # A category holding articles is refused through the API as on the page.
    ArticleFactory(category=chests)
    assert api(admin_user).delete(f"{CATEGORIES_API}{chests.pk}/").status_code == 409
    # Emptied from the bottom up, the branch goes to the trash.
    chests.articles.get().delete()
    for category in (chests, cases):
        assert client.post(reverse("knowledge:category_delete", args=[category.pk])).status_code == 302
    assert not ArticleCategory.objects.filter(pk__in=[chests.pk, cases.pk]).exists()


def test_a_subcategory_is_not_restored_under_a_trashed_parent(tree, admin_user, client_for, api):
    _equipment, cases, chests, _rules = tree
    chests.delete()
    cases.refresh_from_db()
    cases.delete()
    label = ArticleCategory._meta.label_lower
    client_for(admin_user).post(reverse("restore", args=[label, chests.pk]))
    assert ArticleCategory.all_objects.get(pk=chests.pk).is_deleted
    response = api(admin_user).post(f"{CATEGORIES_API}{chests.pk}/restore/")
    assert response.status_code == 400 and "parent" in response.json()
    # The parent first, then the child.
    client_for(admin_user).post(reverse("restore", args=[label, cases.pk]))
    assert api(admin_user).post(f"{CATEGORIES_API}{chests.pk}/restore/").status_code == 200
    assert str(ArticleCategory.objects.get(pk=chests.pk)) == "Холодильное оборудование › Витрины › Бонеты"


def test_demo_categories_are_nested():
    from knowledge import demo

    demo.load()
    cases = ArticleCategory.objects.get(name="Холодильные витрины")
    assert str(cases) == "Холодильное оборудование › Холодильные витрины"
    assert cases.articles.exists()
