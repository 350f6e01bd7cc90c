"""A knowledge-base editor writes with the toolbar: types a sentence, makes it bold, saves; the
stored body and the card carry the bold text. The page runs under the site's CSP (no console error)."""

import pytest
from playwright.sync_api import expect

from knowledge.models import Article

from .factories import ArticleFactory

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bold_through_the_toolbar_is_stored_and_shown(page, console, log_in, quality):
    log_in(quality.username)
    page.goto("/knowledge/articles/new/")
    page.get_by_label("Title").fill("Гарантия на витрины")
    expect(page.get_by_test_id("article-body")).to_be_hidden()  # the toolbar's area replaces the textarea
    area = page.get_by_test_id("editor-area")
    area.click()
    page.keyboard.type("Двадцать четыре месяца")
    page.keyboard.press("Control+A")  # inside the editable area: its text only
    page.get_by_test_id("editor-bold").click()
    expect(page.get_by_test_id("editor-bold")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.get_by_test_id("editor-bold").click()  # bold off for the next paragraph
    page.keyboard.type("с даты монтажа")
    expect(page.get_by_test_id("article-preview").locator("b, strong")).to_have_text("Двадцать четыре месяца")
    page.get_by_test_id("save").click()

    expect(page.get_by_test_id("article-title")).to_have_text("Гарантия на витрины")
    expect(page.get_by_test_id("article-body").locator("b, strong")).to_have_text("Двадцать четыре месяца")
    body = Article.objects.get().body
    assert "<b>Двадцать четыре месяца</b>" in body or "<strong>Двадцать четыре месяца</strong>" in body
    assert "с даты монтажа" in body and "<script" not in body and "style=" not in body
    assert not [line for line in console if line.startswith(("error", "pageerror"))], console


def test_list_heading_and_an_untouched_article(page, console, log_in, quality):
    article = ArticleFactory(title="Монтаж", body="<h2>Этапы</h2><table><tr><td>1</td></tr></table><p>Текст</p>")
    log_in(quality.username)
    page.goto(f"/knowledge/articles/{article.pk}/edit/")
    area = page.get_by_test_id("editor-area")
    expect(area.locator("h2")).to_have_text("Этапы")
    expect(area.locator("td")).to_have_text("1")  # tables survive the editor
    # Saved untouched: nothing changes (no new version).
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("article-title")).to_have_text("Монтаж")
    article.refresh_from_db()
    assert article.version == 1
    # A list and a heading from the toolbar.
    page.goto(f"/knowledge/articles/{article.pk}/edit/")
    area.locator("p").click()
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type("Проверить давление")
    page.get_by_test_id("editor-ul").click()
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("article-body").locator("ul li")).to_have_text("Проверить давление")
    article.refresh_from_db()
    assert "<ul><li>Проверить давление" in article.body and "<table>" in article.body
    assert not [line for line in console if line.startswith(("error", "pageerror"))], console
