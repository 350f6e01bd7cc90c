"""A sales manager types a word into the knowledge-base search and gets the article written with
another form of it, the best match first, with the word marked; the article card shows the
sanitised text, and a quality specialist previews the HTML they write."""

import pytest
from playwright.sync_api import expect

from knowledge import search
from knowledge.models import Article

from .factories import ArticleFactory

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_finds_word_forms_and_shows_the_article(page, console, log_in, manager):
    search.rebuild()  # a transactional test's flush leaves FTS rows of earlier tests behind
    ArticleFactory(title="Гарантия", body="<p>Гарантия на холодильники — 24 месяца.</p>")
    best = ArticleFactory(title="Холодильники для магазина",
                          body='<p>Витрины и <b>камеры</b>.<img src="x" onerror="alert(1)"></p>')
    ArticleFactory(title="Монтаж", body="<p>Трасса до 20 м.</p>")

    log_in(manager.username)
    page.goto("/knowledge/articles/")
    expect(page.get_by_test_id("add")).to_have_count(0)  # a sales manager reads only
    page.get_by_test_id("quick-search").fill("холодильник")
    results = page.get_by_test_id("search-result")
    expect(results).to_have_count(2)
    expect(results.first).to_contain_text("Холодильники для магазина")
    expect(results.nth(1).locator("mark")).to_have_text("холодильники")
    results.first.click()
    expect(page.get_by_test_id("article-title")).to_have_text(best.title)
    expect(page.get_by_test_id("article-body").locator("b")).to_have_text("камеры")
    expect(page.get_by_test_id("article-body").locator("img")).to_have_count(0)
    assert not [line for line in console if line.startswith(("error", "pageerror"))]


def test_editor_previews_sanitised_html(page, console, log_in, quality):
    log_in(quality.username)
    page.goto("/knowledge/articles/new/")
    page.get_by_label("Title").fill("Регламент рекламаций")
    page.get_by_test_id("editor-source").click()  # the HTML itself, under the toolbar's HTML button
    page.get_by_test_id("article-body").fill("<h2>Сроки</h2><p onclick='x()'>Три дня</p><script>alert(1)</script>")
    page.get_by_test_id("preview-button").click()
    expect(page.get_by_test_id("article-preview").locator("h2")).to_have_text("Сроки")
    expect(page.get_by_test_id("article-preview").locator("script")).to_have_count(0)
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("article-title")).to_have_text("Регламент рекламаций")
    assert "<script" not in Article.objects.get().body
