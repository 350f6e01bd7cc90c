"""A client answers the emailed survey link on a phone-sized screen, without logging in; the page
loads its assets from the server (CSP) and a second visit says it was already answered."""

import pytest
from playwright.sync_api import expect

from clients.models import ContactKind
from clients.tests.factories import ContactInfoFactory, CounterpartyFactory
from service import surveys
from service.models import Answer, Channel, Question, Survey, SurveyInvitation

pytest_plugins = ["core.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_client_answers_the_link_on_a_phone_without_login(page, console, live_server, quality):
    survey = Survey.objects.create(name="Индекс лояльности", channel=Channel.EMAIL, description="Пара вопросов.")
    nps = Question.objects.create(survey=survey, order=1, text="Порекомендуете нас?", kind=Question.Kind.NPS,
                                  required=True)
    rating = Question.objects.create(survey=survey, order=2, text="Качество оборудования", kind=Question.Kind.RATING)
    pick = Question.objects.create(survey=survey, order=3, text="Что важнее?", kind=Question.Kind.SINGLE,
                                   options="Цена\nСервис")
    wish = Question.objects.create(survey=survey, order=4, text="Пожелания", kind=Question.Kind.TEXT)
    client = CounterpartyFactory()
    ContactInfoFactory(counterparty=client, kind=ContactKind.EMAIL, value="buyer@example.com")
    invitation = surveys.invite(survey, client, quality, site_url=live_server.url)
    url = surveys.link_url(invitation, live_server.url)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url)
    expect(page.get_by_role("heading", name="Индекс лояльности")).to_be_visible()
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_test_id("survey-submit").click()  # the required NPS is missing
    expect(page.get_by_test_id("error-1")).to_be_visible()
    page.get_by_test_id("answer-1-9").click()
    page.get_by_test_id("answer-2-4").click()
    page.get_by_label("Сервис").check()
    page.get_by_label("Пожелания").fill("Быстрее доставка")
    page.get_by_test_id("survey-submit").click()
    expect(page.get_by_test_id("survey-thanks")).to_be_visible()
    page.goto(url)
    expect(page.get_by_test_id("survey-answered")).to_be_visible()
    invitation.refresh_from_db()
    assert invitation.state == SurveyInvitation.State.ANSWERED
    got = {a.question_id: a.display() for a in Answer.objects.filter(invitation=invitation)}
    assert got == {nps.pk: "9", rating.pk: "4", pick.pk: "Сервис", wish.pk: "Быстрее доставка"}
    # The refused first post (400) is the only console error: scripts and styles came from the server.
    assert not [line for line in console if line.startswith("error") and "400" not in line]
