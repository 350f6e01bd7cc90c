"""Knowledge base: search with Russian word forms and ranking, the trash, sanitised HTML (form and
API), attachments behind access, and who may edit (SQLite and PostgreSQL alike)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clients.tests.factories import CounterpartyFactory
from core import access
from knowledge import search
from knowledge.models import Article, ArticleAttachment
from knowledge.sanitize import sanitize

from .factories import ArticleFactory, CategoryFactory

pytestmark = pytest.mark.django_db

LIST = "/knowledge/articles/"
API = "/api/knowledge-articles/"


def found(qs_user, text):
    rows, _more = search.search(Article.objects.restrict(qs_user), text)
    return [a.title for a in rows]


def test_word_forms_are_found(admin_user):
    ArticleFactory(title="Выбор оборудования", body="<p>Наши холодильники и витрины для магазинов.</p>")
    ArticleFactory(title="Монтаж", body="<p>Порядок монтажа камеры.</p>")
    assert found(admin_user, "холодильник") == ["Выбор оборудования"]
    assert found(admin_user, "витрина магазин") == ["Выбор оборудования"]
    assert found(admin_user, "монтажом") == ["Монтаж"]
    assert found(admin_user, "компрессор") == []


def test_html_tags_are_not_indexed(admin_user):
    ArticleFactory(title="Таблица", body="<table><tr><td>цена</td></tr></table>")
    assert found(admin_user, "table") == []
    assert found(admin_user, "цены") == ["Таблица"]


def test_title_match_ranks_above_body_match(admin_user):
    ArticleFactory(title="Сервисный договор", body="<p>Компрессоры проверяются при каждом визите.</p>")
    ArticleFactory(title="Компрессоры спиральные", body="<p>Тихие и надёжные.</p>")
    ArticleFactory(title="Гарантия", body="<p>Гарантия на компрессор — два года.</p>")
    titles = found(admin_user, "компрессор")
    assert titles[0] == "Компрессоры спиральные"
    assert set(titles) == {"Сервисный договор", "Компрессоры спиральные", "Гарантия"}


def test_trashed_articles_are_not_found_until_restored(admin_user):
    article = ArticleFactory(title="Холодильные камеры", body="<p>Сборные камеры.</p>")
    article.delete()
    assert found(admin_user, "камера") == []
    article.restore()
    assert found(admin_user, "камера") == ["Холодильные камеры"]
    article.hard_delete()
    assert found(admin_user, "камера") == []


def test_edits_are_reindexed(admin_user):
    article = ArticleFactory(title="Витрины", body="<p>Старый текст.</p>")
    article.body = "<p>Новые холодильники.</p>"
    article.save()
    assert found(admin_user, "холодильник") == ["Витрины"]
    assert found(admin_user, "старый") == []


def test_drafts_only_for_editors(manager, quality):
    ArticleFactory(title="Черновик о витринах", body="<p>витрины</p>", published=False)
    assert found(manager, "витрина") == []
    assert found(quality, "витрина") == ["Черновик о витринах"]


def test_the_search_reaches_past_the_first_candidates_when_access_hides_them(manager, monkeypatch):
    """The best candidates are drafts a manager may not see: the search goes on to the later ones."""
    for i in range(4):
        ArticleFactory(title=f"Витрина {i}", body="<p>витрина витрина витрина</p>", published=False)
    ArticleFactory(title="Открытая статья", body="<p>" + "текст " * 50 + "витрина</p>")
    monkeypatch.setattr(search, "FIRST_CANDIDATES", 2)
    if search.has_fts():
        assert [pk for pk, _score in search.fts_ranked(search.fts_query("витрина"), 2)] != [
            Article.objects.get(title="Открытая статья").pk]  # it is not among the first two
    assert found(manager, "витрина") == ["Открытая статья"]


def test_search_page_and_api(client_for, api, manager):
    category = CategoryFactory(name="Витрины")
    ArticleFactory(title="Холодильники для магазина", body="<p>Витрины <b>холодильные</b></p>", category=category)
    ArticleFactory(title="Другое", body="<p>холодильников много</p>")
    page = client_for(manager).get(LIST, {"q": "холодильник"})
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("Холодильники для магазина") < html.index("Другое")
    assert "<mark>холодильников</mark>" in html and "Витрины" in html
    data = api(manager).get(API, {"q": "холодильник"}).json()
    assert [r["title"] for r in data["results"]] == ["Холодильники для магазина", "Другое"]
    assert data["results"][0]["rank"] > data["results"][1]["rank"]
    assert api(manager).get(API, {"q": "холодильник", "kind": "competitor"}).json()["results"] == []


def test_search_pages_by_relevance_on_the_page_and_in_the_api(client_for, api, manager, monkeypatch):
    """45 matches (and drafts the manager may not see): pages of 20 best first, linked both ways,
    together every visible match once, in the order of one long ranking."""
    for i in range(45):
        ArticleFactory(title=f"Витрина {i:02}", body="<p>" + "текст " * i + "витрина " * (1 + i % 7) + "</p>")
    for i in range(5):
        ArticleFactory(title=f"Черновик {i}", body="<p>витрина витрина витрина</p>", published=False)
    monkeypatch.setattr(search, "PAGE", 100)
    expected = found(manager, "витрина")
    monkeypatch.setattr(search, "PAGE", 20)
    assert len(expected) == 45 and found(manager, "витрина") == expected[:20]

    pages, url = [], f"{LIST}?q=витрина"
    for first, last, more in ((1, 20, True), (21, 40, True), (41, 45, False)):
        html = client_for(manager).get(url).content.decode()
        titles = re.findall(r'<span class="fw-semibold">([^<]+)</span>', html)
        assert f"Best matches {first}–{last} for “витрина”." in html
        following = re.search(r'<li class="page-item ?(disabled)?"><a class="page-link" href="([^"]*)" '
                              r'data-testid="next-page"', html)
        assert bool(following.group(1)) == (not more)
        pages += titles
        url = LIST + following.group(2).replace("&amp;", "&")
    assert pages == expected

    api_titles, url = [], f"{API}?q=%D0%B2%D0%B8%D1%82%D1%80%D0%B8%D0%BD%D0%B0"  # "витрина", as clients send it
    while url:
        data = api(manager).get(url).json()
        api_titles += [r["title"] for r in data["results"]]
        url = data["next"]
        assert len(data["results"]) <= 20
    assert api_titles == expected
    back = api(manager).get(API, {"q": "витрина", "start": 40}).json()
    assert "start=20" in back["previous"] and back["next"] is None
    assert "start" not in api(manager).get(API, {"q": "витрина", "start": 20}).json()["previous"]
    # Junk or out-of-range offsets read as the nearest allowed one.
    assert api(manager).get(API, {"q": "витрина", "start": "x"}).json()["results"][0]["title"] == expected[0]
    assert api(manager).get(API, {"q": "витрина", "start": 5000}).json()["results"] == []
    one = client_for(manager).get(LIST, {"q": "витрина", "start": "-3"}).content.decode()
    assert "Best matches 1–20" in one


def test_stored_html_is_sanitised_everywhere(client_for, api, quality):
    dirty = '<p onclick="x()">Текст<script>alert(1)</script><img src="http://evil.example/x.png" onerror="alert(1)">' \
            '<img src="/static/favicon.svg" onerror="alert(2)"><a href="javascript:alert(1)">ссылка</a></p>'
    # The form.
    response = client_for(quality).post(reverse("knowledge:article_add"), {
        "title": "Из формы", "kind": "product", "body": dirty, "published": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = Article.objects.get(title="Из формы").body
    # The API.
    response = api(quality).post(API, {"title": "Из API", "kind": "service", "body": dirty}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["body"] == Article.objects.get(title="Из API").body
    # Written directly (the demo, the shell).
    direct = ArticleFactory(body=dirty).body
    for body in (stored, Article.objects.get(title="Из API").body, direct):
        assert "<script" not in body and "onerror" not in body and "onclick" not in body
        assert "javascript:" not in body and "evil.example" not in body
        assert '<img src="/static/favicon.svg">' in body and "Текст" in body
    assert Article.objects.get(title="Из формы").author == quality
    assert Article.objects.get(title="Из API").author == quality


def test_sanitizer_keeps_the_allowed_tags():
    html = ('<h2>Заголовок</h2><ul><li><b>a</b></li></ul><table><tr><td>1</td></tr></table><pre><code>x</code></pre>'
            '<a href="https://example.com">l</a>')
    cleaned = sanitize(html)
    for tag in ("<h2>", "<ul>", "<li>", "<b>", "<table>", "<td>", "<pre>", "<code>"):
        assert tag in cleaned
    assert 'rel="noopener noreferrer nofollow"' in cleaned


def test_editing_rule_per_role(client_for, api, manager, quality, service, marketer, head):
    article = ArticleFactory(title="Регламент")
    assert not access.can(manager, access.CHANGE, Article)
    for user in (quality, service, marketer, head):
        assert access.can(user, access.CHANGE, Article), user.role
    # A sales manager reads but cannot write.
    assert client_for(manager).get(article.get_absolute_url()).status_code == 200
    assert client_for(manager).get(reverse("knowledge:article_add")).status_code == 403
    assert client_for(manager).get(reverse("knowledge:article_edit", args=[article.pk])).status_code == 404
    assert api(manager).post(API, {"title": "x", "kind": "product"}, format="json").status_code == 403
    assert api(manager).patch(f"{API}{article.pk}/", {"title": "x", "version": 1}, format="json").status_code in (
        403, 404)
    # A quality specialist edits.
    response = client_for(quality).post(reverse("knowledge:article_edit", args=[article.pk]), {
        "title": "Регламент рекламаций", "kind": "procedure", "body": "<p>Три рабочих дня.</p>",
        "published": "on", "version": article.version})
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.title == "Регламент рекламаций"
    assert api(quality).patch(f"{API}{article.pk}/", {"title": "Рекламации", "version": article.version},
                              format="json").status_code == 200


def test_only_competitors_may_be_linked(api, quality):
    client = CounterpartyFactory(is_competitor=False, name="ООО «Покупатель»")
    rival = CounterpartyFactory(is_competitor=True, name="ООО «Соперник»")
    response = api(quality).post(API, {"title": "Обзор", "kind": "competitor", "competitors": [client.pk]},
                                 format="json")
    assert response.status_code == 400 and "competitors" in response.json()
    response = api(quality).post(API, {"title": "Обзор", "kind": "competitor", "competitors": [rival.pk]},
                                 format="json")
    assert response.status_code == 201, response.json()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_attachments_download_only_with_access(client_for, client, api, media, manager, quality):
    draft = ArticleFactory(title="Черновик", published=False)
    published = ArticleFactory(title="Инструкция")
    editor = client_for(quality)
    for article in (draft, published):
        response = editor.post(reverse("knowledge:attachment_add", args=[article.pk]), {
            "file": SimpleUploadedFile("схема.pdf", b"%PDF-1.4 data", content_type="application/pdf")})
        assert response.status_code == 302
    hidden, shown = (ArticleAttachment.objects.get(article=a) for a in (draft, published))
    url = reverse("knowledge:attachment_download", args=[shown.pk])
    response = client_for(manager).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 data"
    assert response["Cache-Control"] == "private, no-store"
    assert client_for(manager).get(reverse("knowledge:attachment_download", args=[hidden.pk])).status_code == 404
    assert editor.get(reverse("knowledge:attachment_download", args=[hidden.pk])).status_code == 200
    assert client.get(url).status_code == 302  # anonymous: to the login page
    # Trashing the article hides its files; the API lists only what the user may see.
    assert [r["id"] for r in api(manager).get("/api/knowledge-attachments/").json()["results"]] == [shown.pk]
    published.delete()
    assert client_for(manager).get(url).status_code == 404
    # A sales manager cannot attach.
    response = client_for(manager).post(reverse("knowledge:attachment_add", args=[draft.pk]), {
        "file": SimpleUploadedFile("x.txt", b"x")})
    assert response.status_code == 404


def test_attachment_size_limit(client_for, media, quality, monkeypatch):
    from knowledge import models

    monkeypatch.setattr(models, "MAX_ATTACHMENT_SIZE", 10)
    article = ArticleFactory()
    response = client_for(quality).post(reverse("knowledge:attachment_add", args=[article.pk]), {
        "file": SimpleUploadedFile("big.bin", b"x" * 11)})
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert not ArticleAttachment.objects.exists()


def test_competitor_card_lists_linked_articles(client_for, quality):
    rival = CounterpartyFactory(is_competitor=True, name="ООО «Соперник»")
    article = ArticleFactory(title="Сравнение с соперником")
    article.competitors.set([rival])
    html = client_for(quality).get(rival.get_absolute_url()).content.decode()
    assert 'data-testid="knowledge-panel"' in html and "Сравнение с соперником" in html


def test_demo_loads_twenty_articles_once():
    from knowledge import demo

    demo.load()
    demo.load()
    assert Article.objects.filter(published=True).count() == 20
    assert search.search(Article.objects.all(), "холодильник")[0]


def test_a_trashed_category_hides_its_articles_only(manager):
    category = CategoryFactory(name="Старое")
    ArticleFactory(title="В категории", body="<p>витрины</p>", category=category)
    ArticleFactory(title="Без категории", body="<p>витрины</p>")
    category.delete()
    assert found(manager, "витрины") == ["Без категории"]


def test_the_index_is_the_databases_own():
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'knowledge_article_search'")
            assert "gin" in cursor.fetchone()[0].lower()
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'knowledge_article_fts'")
            assert "fts5" in cursor.fetchone()[0].lower()


def test_bench_case_runs_at_a_small_count():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("bench", count=20, articles=30, repeat=1, warmup=1, mailing_size=0, stdout=out, stderr=StringIO())
    output = out.getvalue()
    assert "knowledge search “холодильник”, manager" in output and "knowledge API search" in output
    assert "30 knowledge articles" in output
    assert not Article.all_objects.exists()


ATTACHMENTS_API = "/api/knowledge-attachments/"


def upload(client, article, content=b"%PDF-1.4 data", **extra):
    return client.post(ATTACHMENTS_API, {"article": article.pk, "file": SimpleUploadedFile(
        "схема.pdf", content, content_type="application/pdf"), **extra}, format="multipart")


def test_api_upload_by_an_editor(api, client_for, media, quality, manager):
    article = ArticleFactory(title="Инструкция")
    response = upload(api(quality), article, name="Схема подключения")
    assert response.status_code == 201, response.json()
    attachment = ArticleAttachment.objects.get()
    assert attachment.article == article and str(attachment) == "Схема подключения"
    assert attachment.history.get().history_user == quality
    body = response.json()
    assert body["file"] == reverse("knowledge:attachment_download", args=[attachment.pk]) and body["size"] == 13
    # The name defaults to the file's, and the bytes are those sent (a reader downloads them).
    response = upload(api(quality), article, content=b"second")
    assert response.status_code == 201 and response.json()["name"] == "схема.pdf"
    download = client_for(manager).get(response.json()["file"])
    assert b"".join(download.streaming_content) == b"second"


def test_api_upload_refused_to_non_editors(api, media, manager, marketer):
    article = ArticleFactory()
    assert upload(api(manager), article).status_code == 403
    assert upload(api(), article).status_code in (401, 403)
    assert not ArticleAttachment.objects.exists()
    # A marketer writes the knowledge base, but their role never deletes.
    response = upload(api(marketer), article)
    assert response.status_code == 201
    assert api(marketer).delete(f"{ATTACHMENTS_API}{response.json()['id']}/").status_code == 403
    assert api(manager).delete(f"{ATTACHMENTS_API}{response.json()['id']}/").status_code == 403
    assert ArticleAttachment.objects.count() == 1


def test_api_upload_too_big_names_the_file(api, media, quality, monkeypatch):
    from knowledge import models

    monkeypatch.setattr(models, "MAX_ATTACHMENT_SIZE", 10)
    response = upload(api(quality), ArticleFactory(), content=b"x" * 11)
    assert response.status_code == 400
    assert list(response.json()) == ["file"]
    assert not ArticleAttachment.objects.exists()
    # No file at all: the same field.
    response = api(quality).post(ATTACHMENTS_API, {"article": ArticleFactory().pk}, format="multipart")
    assert response.status_code == 400 and list(response.json()) == ["file"]


def test_api_upload_to_an_article_out_of_sight_names_the_article(api, media, quality):
    trashed = ArticleFactory()
    trashed.delete()
    hidden_category = CategoryFactory()
    in_trashed_category = ArticleFactory(category=hidden_category)
    hidden_category.delete()
    for article in (trashed, in_trashed_category):
        response = upload(api(quality), article)
        assert response.status_code == 400
        assert list(response.json()) == ["article"]
    response = api(quality).post(ATTACHMENTS_API, {"article": 10 ** 6, "file": SimpleUploadedFile("a.txt", b"a")},
                                 format="multipart")
    assert response.status_code == 400 and list(response.json()) == ["article"]
    assert not ArticleAttachment.all_objects.exists()


def test_api_delete_moves_an_attachment_to_the_trash(api, client_for, media, quality, manager):
    article = ArticleFactory()
    attachment_id = upload(api(quality), article).json()["id"]
    url = reverse("knowledge:attachment_download", args=[attachment_id])
    assert api(quality).delete(f"{ATTACHMENTS_API}{attachment_id}/").status_code == 204
    attachment = ArticleAttachment.all_objects.get(pk=attachment_id)
    assert attachment.is_deleted
    assert client_for(manager).get(url).status_code == 404
    assert api(manager).get(ATTACHMENTS_API).json()["results"] == []
    assert api(quality).post(f"{ATTACHMENTS_API}{attachment_id}/restore/").status_code == 200
    assert client_for(manager).get(url).status_code == 200
    # Only multipart uploads; no edits.
    assert api(quality).patch(f"{ATTACHMENTS_API}{attachment_id}/", {"name": "x", "version": 1},
                              format="json").status_code == 405


def test_the_api_shows_related_ids_read_for_the_page(api, quality, django_assert_max_num_queries):
    """Products and competitors of a page of articles come from a query or two per relation (core.api.m2m),
    in the related model's order, without trashed ones — the same ids the single article and a
    fresh read give; an update answers with the sets it saved."""
    from core.api import m2m
    from knowledge.api.serializers import ArticleSerializer
    from sales.models import Product

    zeta, alpha, gone = (Product.objects.create(name=n) for n in ("Zeta", "Alpha", "Удалён"))
    rivals = [CounterpartyFactory(is_competitor=True, name=n) for n in ("Б-соперник", "А-соперник")]
    first = ArticleFactory(title="Витрина один", body="<p>витрина</p>")
    first.products.set([zeta, alpha, gone])
    first.competitors.set(rivals)
    ArticleFactory(title="Витрина два", body="<p>витрина</p>")
    gone.delete()
    expected = {"products": [alpha.pk, zeta.pk], "competitors": [rivals[1].pk, rivals[0].pk]}

    listed = {row["title"]: row for row in api(quality).get(API).json()["results"]}
    searched = {row["title"]: row for row in api(quality).get(API, {"q": "витрина"}).json()["results"]}
    single = api(quality).get(f"{API}{first.pk}/").json()
    for row in (listed["Витрина один"], searched["Витрина один"], single):
        assert {key: row[key] for key in expected} == expected
    assert listed["Витрина два"]["products"] == searched["Витрина два"]["competitors"] == []
    with django_assert_max_num_queries(12):  # session, user, scope, ids, rows, two relations…
        api(quality).get(API, {"q": "витрина"})
    rows = list(Article.objects.filter(pk=first.pk))
    m2m.fill(rows, ("products", "competitors"))
    with django_assert_max_num_queries(0):  # the kept ids answer, no related manager is asked
        data = ArticleSerializer(rows, many=True, context={"request": None}).data
    assert {key: data[0][key] for key in expected} == expected

    changed = api(quality).patch(f"{API}{first.pk}/", {"products": [zeta.pk], "version": single["version"]},
                                 format="json").json()
    assert changed["products"] == [zeta.pk] and changed["competitors"] == expected["competitors"]
