"""Surveys: the public signed link (one answer, expiry, tampering), the operator screen, rules run
once per period, NPS and satisfaction against hand-computed figures, the API."""

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from activities.models import Interaction, OutgoingEmail
from clients.models import ContactKind
from clients.tests.factories import ContactInfoFactory, CounterpartyFactory
from core.reports import Period
from sales.models import Order, Product
from sales.tests.factories import OrderFactory, OrderLineFactory
from service import survey_reports, surveys
from service.models import Answer, Channel, Survey, SurveyInvitation, SurveyRule, SurveyRuleRun
from service.tests.survey_factories import answer, make_survey

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=MSK)


def client_with(manager=None, email="buyer@example.com", phone="+74951234567", name=None):
    client = CounterpartyFactory(main_manager=manager, **({"name": name} if name else {}))
    if email:
        ContactInfoFactory(counterparty=client, kind=ContactKind.EMAIL, value=email)
    if phone:
        ContactInfoFactory(counterparty=client, kind=ContactKind.PHONE, value=phone)
    return client


def link_of(invitation):
    return reverse("survey_public:answer", args=[surveys.link_token(invitation)])


@pytest.fixture
def sent(quality, manager):
    survey, nps, rating, pick, text = make_survey()
    client = client_with(manager)
    with time_machine.travel(NOW, tick=False):
        invitation = surveys.invite(survey, client, quality)
    return invitation, nps, rating, pick, text


# --- Email invitations and the public link ---------------------------------------------------------

def test_invitation_is_queued_with_a_signed_link_and_recorded_in_the_clients_history(sent, quality):
    invitation = sent[0]
    assert invitation.state == SurveyInvitation.State.SENT
    assert invitation.expires_at == NOW + dt.timedelta(days=7)
    email = OutgoingEmail.objects.get(source=f"survey:{invitation.pk}")
    assert email.to == "buyer@example.com" and link_of(invitation) in email.body
    interaction = Interaction.objects.get(pk=invitation.interaction_id)
    assert interaction.counterparty_id == invitation.counterparty_id and interaction.type.code == "email"
    assert interaction.responsible == quality and email.interaction_id == interaction.pk


def test_the_link_takes_one_answer_only(sent, client):
    invitation, nps, rating, pick, text = sent
    url = link_of(invitation)
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        page = client.get(url)
        assert page.status_code == 200 and 'data-testid="survey-form"' in page.content.decode()
        answers = {f"q_{nps.pk}": "9", f"q_{rating.pk}": "4", f"q_{pick.pk}": ["Price", "Quality"],
                   f"q_{text.pk}": "Faster delivery"}
        done = client.post(url, answers)
        assert done.status_code == 200 and 'data-testid="survey-thanks"' in done.content.decode()
        again = client.post(url, {**answers, f"q_{nps.pk}": "0"})
        assert again.status_code == 200 and 'data-testid="survey-answered"' in again.content.decode()
        assert 'data-testid="survey-answered"' in client.get(url).content.decode()
    invitation.refresh_from_db()
    assert invitation.state == SurveyInvitation.State.ANSWERED
    assert invitation.answered_at == NOW + dt.timedelta(days=1)
    got = {a.question_id: (a.number, a.choices, a.text) for a in Answer.objects.filter(invitation=invitation)}
    assert got == {nps.pk: (9, [], ""), rating.pk: (4, [], ""), pick.pk: (None, ["Price", "Quality"], ""),
                   text.pk: (None, [], "Faster delivery")}


def test_a_stale_second_submit_loses_the_claim(sent):
    """Two submits that both read the invitation open (a race): the conditional update lets one win."""
    invitation, nps = sent[0], sent[1]
    first = SurveyInvitation.objects.get(pk=invitation.pk)
    second = SurveyInvitation.objects.get(pk=invitation.pk)
    with time_machine.travel(NOW, tick=False):
        assert surveys.record_answers(first, {str(nps.pk): 10}) is True
        assert surveys.record_answers(second, {str(nps.pk): 0}) is False
    assert list(Answer.objects.filter(invitation=invitation).values_list("number", flat=True)) == [10]


def test_required_and_invalid_answers_are_field_errors_and_claim_nothing(sent, client):
    invitation, nps, rating = sent[0], sent[1], sent[2]
    url = link_of(invitation)
    with time_machine.travel(NOW, tick=False):
        missing = client.post(url, {f"q_{rating.pk}": "5"})
        assert missing.status_code == 400 and f'data-testid="error-{nps.order}"' in missing.content.decode()
        wrong = client.post(url, {f"q_{nps.pk}": "11"})
        assert wrong.status_code == 400
    invitation.refresh_from_db()
    assert invitation.state == SurveyInvitation.State.SENT and not Answer.objects.exists()


def test_an_expired_link_says_so_and_takes_no_answer(sent, client):
    invitation, nps = sent[0], sent[1]
    url = link_of(invitation)
    with time_machine.travel(NOW + dt.timedelta(days=7, minutes=1), tick=False):
        page = client.get(url)
        assert page.status_code == 410 and 'data-testid="survey-expired"' in page.content.decode()
        posted = client.post(url, {f"q_{nps.pk}": "10"})
        assert posted.status_code == 410
        assert surveys.expire_links() == 1
    invitation.refresh_from_db()
    assert invitation.state == SurveyInvitation.State.EXPIRED and not Answer.objects.exists()
    assert client.get(url).status_code == 410


def test_a_tampered_link_is_a_404_page(sent, client):
    invitation = sent[0]
    token = surveys.link_token(invitation)
    forged_id = signing.Signer(salt="another.purpose").sign_object({"i": invitation.pk, "e": 0}, compress=True)
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), token[:20], "garbage", forged_id):
        page = client.get(reverse("survey_public:answer", args=[bad]))
        assert page.status_code == 404 and 'data-page="invalid"' in page.content.decode()
        assert client.post(reverse("survey_public:answer", args=[bad]), {}).status_code == 404
    # A valid signature of an invitation that never had a link (a phone one) is no link either.
    phone, *_rest = make_survey(Channel.PHONE, name="Phone")
    call = SurveyInvitation.objects.create(survey=phone, counterparty=invitation.counterparty, channel=Channel.PHONE)
    assert client.get(link_of(call)).status_code == 404
    assert not Answer.objects.exists()


# --- The phone survey ----------------------------------------------------------------------------

def test_the_operator_calls_clients_and_saves_the_answers(quality, manager, client_for):
    survey, nps, rating, *_ = make_survey(Channel.PHONE, name="New clients")
    first = surveys.invite(survey, client_with(manager, name="Альфа"), quality)
    second = surveys.invite(survey, client_with(manager, name="Бета"), quality)
    assert first.state == SurveyInvitation.State.PENDING and not OutgoingEmail.objects.exists()
    web = client_for(quality)
    page = web.get(reverse("service:survey_call", args=[survey.pk]))
    assert page.status_code == 200 and "Альфа" in page.content.decode()
    result = reverse("service:surveyinvitation_result", args=[first.pk])
    assert web.post(result, {"result": "answered", f"q_{rating.pk}": "5"}).status_code == 400  # NPS required
    answered = web.post(result, {"result": "answered", f"q_{nps.pk}": "8", f"q_{rating.pk}": "5",
                                 "comment": "Happy"})
    assert answered.status_code == 302
    first.refresh_from_db()
    assert first.state == SurveyInvitation.State.ANSWERED and first.operator == quality
    call = Interaction.objects.get(pk=first.interaction_id)
    assert call.type.code == "outgoing_call" and "Recommend us?: 8" in call.content and "Happy" in call.content
    answered_record = first.history.order_by("-history_date", "-history_id").first()  # the claim is in the history
    assert answered_record.state == SurveyInvitation.State.ANSWERED and answered_record.history_user == quality
    assert answered_record.answered_at == first.answered_at
    assert "Бета" in web.get(reverse("service:survey_call", args=[survey.pk])).content.decode()
    web.post(reverse("service:surveyinvitation_result", args=[second.pk]), {"result": "refused"})
    second.refresh_from_db()
    assert second.state == SurveyInvitation.State.REFUSED and not second.answers.exists()
    assert 'data-testid="call-none"' in web.get(reverse("service:survey_call", args=[survey.pk])).content.decode()


def test_a_sales_manager_sees_and_calls_their_own_clients_only(quality, manager, teammate, client_for):
    survey, *_ = make_survey(Channel.PHONE, name="Phone")
    mine = surveys.invite(survey, client_with(manager, name="Мой"), quality)
    theirs = surveys.invite(survey, client_with(teammate, name="Чужой"), quality)
    assert set(SurveyInvitation.objects.restrict(manager).values_list("pk", flat=True)) == {mine.pk}
    web = client_for(manager)
    assert web.get(reverse("service:surveyinvitation", args=[theirs.pk])).status_code == 404
    assert web.post(reverse("service:surveyinvitation_result", args=[theirs.pk]),
                    {"result": "refused"}).status_code == 404
    assert surveys.claim_next(survey, manager, now=NOW) == mine
    # Surveys are kept by quality specialists, marketers and heads; sales managers read them.
    assert web.post(reverse("service:survey_edit", args=[survey.pk]), {"name": "x"}).status_code in (403, 404)


# --- Rules ----------------------------------------------------------------------------------------

def orders_for(client, count, manager):
    for i in range(count):
        OrderFactory(counterparty=client, responsible=manager, state=Order.State.COMPLETED,
                     date=dt.date(2026, 1, 1) + dt.timedelta(days=i))


def test_a_rule_runs_once_per_period_with_purchase_counts_without_an_analysis(quality, manager):
    survey, *_ = make_survey(Channel.PHONE, name="New")
    new, regular, none = (client_with(manager, name=n) for n in ("New", "Regular", "None"))
    orders_for(new, 1, manager)
    orders_for(regular, 3, manager)
    draft = client_with(manager, name="Draft")
    OrderFactory(counterparty=draft, responsible=manager, state=Order.State.DRAFT)
    rule = SurveyRule.objects.create(name="Monthly", survey=survey, audience=SurveyRule.Audience.NEW,
                                     operator=quality, quiet_days=0)
    assert surveys.rules_due(NOW)
    assert surveys.run_rule(rule, now=NOW) == 1
    assert surveys.run_rule(rule, now=NOW + dt.timedelta(days=5)) is None  # same month: never twice
    assert not surveys.rules_due(NOW)
    invitation = SurveyInvitation.objects.get(rule=rule)
    assert (invitation.counterparty, invitation.period, invitation.operator) == (new, "2026-03", quality)
    assert SurveyRuleRun.objects.get(rule=rule).source == "orders"
    # The next month runs again; within quiet days the same client is left out.
    rule.quiet_days = 60
    rule.save()
    assert surveys.run_rule(rule, now=NOW + dt.timedelta(days=30)) == 0
    assert SurveyRuleRun.objects.filter(rule=rule).count() == 2
    email_survey, *_ = make_survey(Channel.EMAIL, name="Regulars")
    regulars = SurveyRule.objects.create(name="Regulars", survey=email_survey, audience=SurveyRule.Audience.REGULAR,
                                         frequency=SurveyRule.Frequency.QUARTER)
    assert surveys.run_rules(NOW) == 1
    sent = SurveyInvitation.objects.get(rule=regulars)
    assert sent.counterparty == regular and sent.period == "2026-Q1" and sent.state == SurveyInvitation.State.SENT
    assert surveys.run_rules(NOW + dt.timedelta(days=20)) == 0  # same quarter (the link has expired meanwhile)
    assert SurveyInvitation.objects.get(rule=regulars).state == SurveyInvitation.State.EXPIRED
    assert OutgoingEmail.objects.filter(source=f"survey:{sent.pk}").count() == 1


def test_a_rule_takes_the_stages_of_the_analysis_when_one_exists(quality, manager):
    from django.apps import apps  # service does not import analytics (dependencies point one way)

    AnalysisRun, Classification = apps.get_model("analytics", "AnalysisRun"), apps.get_model("analytics",
                                                                                              "Classification")
    survey, *_ = make_survey(Channel.PHONE, name="New")
    one_time, regular = client_with(manager, name="One"), client_with(manager, name="Reg")
    orders_for(regular, 1, manager)  # one purchase, yet the analysis says "regular"
    AnalysisRun.objects.create(analysis_date=dt.date(2026, 3, 1), period_start=dt.date(2025, 3, 1),
                               period_end=dt.date(2026, 2, 28), currency="RUB", status="done",
                               finished_at=NOW)
    Classification.objects.create(counterparty=one_time, stage="one_time")
    Classification.objects.create(counterparty=regular, stage="regular")
    rule = SurveyRule.objects.create(name="New", survey=survey, audience=SurveyRule.Audience.NEW)
    assert surveys.run_rule(rule, now=NOW) == 1
    assert SurveyInvitation.objects.get(rule=rule).counterparty == one_time
    assert SurveyRuleRun.objects.get(rule=rule).source == "analysis"


# --- Analysis -------------------------------------------------------------------------------------

def test_nps_and_satisfaction_against_hand_computed_figures(manager, teammate, head):
    survey, *_ = make_survey()
    a, b, c = (client_with(manager, name="A"), client_with(manager, name="B"), client_with(teammate, name="C"))
    fridge = Product.objects.create(name="Холодильник")
    showcase = Product.objects.create(name="Витрина")
    for client, product in ((a, fridge), (b, fridge), (b, showcase), (c, showcase)):
        order = OrderFactory(counterparty=client, responsible=manager, state=Order.State.COMPLETED)
        OrderLineFactory(order=order, product=product.name, catalog_product=product)
    march, april = dt.datetime(2026, 3, 5, 12, tzinfo=MSK), dt.datetime(2026, 4, 2, 12, tzinfo=MSK)
    # March: NPS 10, 9, 6, 8 → promoters 2, detractors 1 of 4 → 25.0. April: 3, 10 → 1 − 1 of 2 → 0.0.
    answer(survey, a, march, nps=10, rating=5)
    answer(survey, a, march, nps=9, rating=4)
    answer(survey, b, march, nps=6, rating=2)
    answer(survey, c, march, nps=8, rating=3)
    answer(survey, c, april, nps=3)
    answer(survey, b, april, nps=10, rating=4)
    period = Period(dt.date(2026, 3, 1), dt.date(2026, 4, 30))
    rows = {(r["survey"], r["month"]): r for r in survey_reports.nps(head, period)}
    assert (rows[("NPS", "2026-03")]["promoters"], rows[("NPS", "2026-03")]["detractors"]) == (2, 1)
    assert rows[("NPS", "2026-03")]["nps"] == Decimal("25.0")
    assert rows[("NPS", "2026-04")]["nps"] == Decimal("0.0")
    # Whole period: promoters 3 (10, 9, 10), detractors 2 (6, 3) of 6 → 16.7.
    whole = rows[("NPS", "Whole period")]
    assert (whole["responses"], whole["passives"], whole["nps"]) == (6, 1, Decimal("16.7"))
    # Ratings: A 5, 4 → 4.50; B 2, 4 → 3.00; C 3 → 3.00; all 18 / 5 = 3.60.
    result = survey_reports.satisfaction(head, period)
    by_client = {r["name"]: (r["responses"], float(r["average"])) for r in result["client"]}
    assert by_client == {"A": (2, 4.5), "B": (2, 3.0), "C": (1, 3.0)}
    by_manager = {r["key"]: (r["responses"], float(r["average"])) for r in result["manager"]}
    assert by_manager == {manager.pk: (4, 3.75), teammate.pk: (1, 3.0)}
    # Fridge: A and B bought it → 5, 4, 2, 4 = 3.75; showcase: B and C → 2, 4, 3 = 3.00.
    by_product = {r["name"]: (r["responses"], float(r["average"])) for r in result["product"]}
    assert by_product == {"Холодильник": (4, 3.75), "Витрина": (3, 3.0)}
    assert (result["total"]["responses"], float(result["total"]["average"])) == (5, 3.6)
    # A sales manager counts their own clients' responses: A and B.
    mine = survey_reports.satisfaction(manager, period)
    assert {r["name"] for r in mine["client"]} == {"A", "B"} and float(mine["total"]["average"]) == 3.75
    assert [r["nps"] for r in survey_reports.nps(manager, Period(dt.date(2026, 4, 1), dt.date(2026, 4, 30)))
            ] == [Decimal("100.0"), Decimal("100.0")]


def test_satisfaction_by_the_product_the_invitation_names_else_the_purchases(manager, head, api, quality):
    survey, *_ = make_survey()
    a, b = client_with(manager, name="A"), client_with(manager, name="B")
    fridge, showcase = Product.objects.create(name="Холодильник"), Product.objects.create(name="Витрина")
    for client, product in ((a, fridge), (b, fridge), (b, showcase)):
        order = OrderFactory(counterparty=client, responsible=manager, state=Order.State.COMPLETED)
        OrderLineFactory(order=order, product=product.name, catalog_product=product)
    at = dt.datetime(2026, 3, 5, 12, tzinfo=MSK)
    answer(survey, a, at, product=showcase, rating=5, nps=9)  # about the showcase only (A never bought one)
    answer(survey, a, at, rating=4, nps=9)  # no product named: A's purchases, the fridge
    answer(survey, b, at, product=fridge, rating=1, nps=9)  # the fridge only, not B's showcase
    answer(survey, b, at, rating=2, nps=9)  # B's purchases: the fridge and the showcase
    result = survey_reports.satisfaction(head, Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31)))
    by_product = {r["name"]: (r["responses"], float(r["average"])) for r in result["product"]}
    # Fridge: 4, 1, 2 → 2.33; showcase: 5, 2 → 3.50
    assert by_product == {"Холодильник": (3, 2.33), "Витрина": (2, 3.5)}
    assert result["total"]["responses"] == 4
    # The API and the invitation form name the product too
    made = api(quality).post("/api/survey-invitations/", {"survey": survey.pk, "counterparty": a.pk,
                                                          "product": fridge.pk}, format="json")
    assert made.status_code == 201, made.content
    assert SurveyInvitation.objects.get(pk=made.json()["id"]).product == fridge


def test_a_rule_for_the_buyers_of_a_product_names_it_on_its_invitations(quality, manager, client_for):
    survey, *_ = make_survey(Channel.PHONE, name="Fridges")
    fridge, showcase = Product.objects.create(name="Холодильник"), Product.objects.create(name="Витрина")
    buyer, other, failed = (client_with(manager, name=n) for n in ("Buyer", "Other", "Failed"))
    for client, product, state in ((buyer, fridge, Order.State.COMPLETED), (other, showcase, Order.State.COMPLETED),
                                   (failed, fridge, Order.State.FAILED)):
        order = OrderFactory(counterparty=client, responsible=manager, state=state)
        OrderLineFactory(order=order, product=product.name, catalog_product=product)
    OrderFactory(counterparty=failed, responsible=manager, state=Order.State.COMPLETED)  # one purchase, no fridge
    rule = SurveyRule.objects.create(name="Fridge buyers", survey=survey, audience=SurveyRule.Audience.NEW,
                                     operator=quality, quiet_days=0, product=fridge)
    assert surveys.run_rule(rule, now=NOW) == 1
    invitation = SurveyInvitation.objects.get(rule=rule)
    assert (invitation.counterparty, invitation.product) == (buyer, fridge)
    page = client_for(quality).get(reverse("service:survey_call", args=[survey.pk])).content.decode()
    assert 'data-testid="call-product"' in page and "Холодильник" in page  # the operator knows what to ask about


def test_the_dashboard_tile_shows_this_months_average_and_nps(manager, teammate, client_for):
    survey, *_ = make_survey()
    mine, theirs = client_with(manager, name="Mine"), client_with(teammate, name="Theirs")
    answer(survey, mine, dt.datetime(2026, 4, 2, 12, tzinfo=MSK), nps=10, rating=5)
    answer(survey, mine, dt.datetime(2026, 4, 3, 12, tzinfo=MSK), nps=6, rating=4)
    answer(survey, theirs, dt.datetime(2026, 4, 3, 12, tzinfo=MSK), nps=0, rating=1)  # not the manager's
    answer(survey, mine, dt.datetime(2026, 3, 31, 12, tzinfo=MSK), nps=0, rating=1)  # last month
    with time_machine.travel(dt.datetime(2026, 4, 20, 12, tzinfo=MSK), tick=False):
        page = client_for(manager).get(reverse("dashboard")).content.decode()
    tile = page[page.index('data-testid="satisfaction-tile"'):]
    # 5 and 4 → 4.50; NPS 10 and 6: one promoter, one detractor of 2 → 0.0
    assert "4.50" in tile[:tile.index('data-testid="satisfaction-nps"')]
    assert ">0.0<" in tile and "of 2 answers" in tile and "date_from=2026-04-01" in tile


def test_the_report_pages_render(head, client_for):
    survey, *_ = make_survey()
    answer(survey, client_with(None, name="Z"), timezone.now(), nps=10, rating=5)
    web = client_for(head)
    for slug in ("survey-satisfaction", "survey-nps"):
        page = web.get(reverse("report", args=[slug]))
        assert page.status_code == 200 and "Z" in page.content.decode() or slug == "survey-nps"
        assert web.get(reverse("report", args=[slug]), {"export": "xlsx"}).status_code == 200


# --- API ------------------------------------------------------------------------------------------

def test_api_creates_an_invitation_and_records_its_response_once(api, quality, manager):
    survey, nps, *_ = make_survey(Channel.PHONE, name="Phone")
    client = client_with(manager)
    made = api(quality).post("/api/survey-invitations/", {"survey": survey.pk, "counterparty": client.pk},
                             format="json")
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert made.json()["state"] == "pending" and made.json()["address"] == "+74951234567"
    bad = api(quality).post(f"/api/survey-invitations/{pk}/respond/", {"answers": {str(nps.pk): 12}}, format="json")
    assert bad.status_code == 400 and f"q_{nps.pk}" in bad.json()
    ok = api(quality).post(f"/api/survey-invitations/{pk}/respond/", {"answers": {str(nps.pk): 9}}, format="json")
    assert ok.status_code == 200 and ok.json()["state"] == "answered"
    assert ok.json()["answers"] == [{"question": nps.pk, "number": 9, "choices": [], "text": ""}]
    again = api(quality).post(f"/api/survey-invitations/{pk}/respond/", {"answers": {str(nps.pk): 1}}, format="json")
    assert again.status_code == 409
    nobody = CounterpartyFactory()
    refused = api(quality).post("/api/survey-invitations/", {"survey": survey.pk, "counterparty": nobody.pk},
                                format="json")
    assert refused.status_code == 400 and "counterparty" in refused.json()
    survey_made = api(quality).post("/api/surveys/", {"name": "By API", "channel": "email"}, format="json")
    assert survey_made.status_code == 201
    assert api(manager).post("/api/surveys/", {"name": "No", "channel": "email"}, format="json").status_code == 403
    assert re.match(r"^\d+$", str(pk))


# --- Pages ----------------------------------------------------------------------------------------

def test_a_quality_specialist_builds_a_survey_and_a_rule_on_the_pages(quality, manager, client_for):
    web = client_for(quality)
    form = {"name": "Сервисный визит", "channel": "phone", "active": "on", "description": "", "link_days": "14",
            "thanks": "", "question-TOTAL_FORMS": "2", "question-INITIAL_FORMS": "0",
            "question-0-order": "1", "question-0-text": "Оцените инженера", "question-0-kind": "rating",
            "question-0-options": "", "question-0-required": "on",
            "question-1-order": "2", "question-1-text": "Что было?", "question-1-kind": "single",
            "question-1-options": "Ремонт", "question-1-required": ""}
    refused = web.post(reverse("service:survey_add"), form)
    assert refused.status_code == 400 and "at least two options" in refused.content.decode()
    form["question-1-options"] = "Ремонт\nОсмотр"
    saved = web.post(reverse("service:survey_add"), form)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    survey = Survey.objects.get(name="Сервисный визит")
    assert [(q.text, q.kind, q.required) for q in survey.live_questions()] == [
        ("Оцените инженера", "rating", True), ("Что было?", "single", False)]
    rule = web.post(reverse("service:surveyrule_add"), {"name": "Monthly", "survey": survey.pk, "audience": "new",
                                                        "frequency": "month", "active": "on", "operator": quality.pk,
                                                        "quiet_days": "90", "limit": "100"})
    assert rule.status_code == 302 and SurveyRule.objects.filter(survey=survey).exists()
    client = client_with(manager, name="Гамма")
    invited = web.post(reverse("service:surveyinvitation_add"), {"survey": survey.pk, "counterparty": client.pk})
    assert invited.status_code == 302
    invitation = SurveyInvitation.objects.get(survey=survey)
    for url in (reverse("service:survey_list"), survey.get_absolute_url(), reverse("service:survey_edit",
                                                                                   args=[survey.pk]),
                reverse("service:survey_history", args=[survey.pk]), reverse("service:surveyrule_list"),
                reverse("service:surveyinvitation_list"), invitation.get_absolute_url(),
                reverse("service:survey_call", args=[survey.pk])):
        assert web.get(url).status_code == 200, url
    nobody = CounterpartyFactory(main_manager=manager)
    no_phone = web.post(reverse("service:surveyinvitation_add"), {"survey": survey.pk, "counterparty": nobody.pk})
    assert no_phone.status_code == 400 and "no address" in no_phone.content.decode()


@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_of_one_link_make_one_response(quality, manager):
    """Two requests submitting the same link at the same moment (PostgreSQL: real concurrency)."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: the stale-submit test covers the claim there")
    survey, nps, *_ = make_survey()
    invitation = surveys.invite(survey, client_with(manager), quality)
    barrier, results = threading.Barrier(2), []

    def submit(value):
        try:
            own = SurveyInvitation.objects.get(pk=invitation.pk)
            barrier.wait(timeout=10)
            results.append(surveys.record_answers(own, {str(nps.pk): value}))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(value,)) for value in (10, 0)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [False, True]
    assert Answer.objects.filter(invitation=invitation).count() == 1


def test_the_demo_surveys_have_answers_and_load_once(quality, manager):
    from service import survey_demo

    for i in range(20):
        client_with(manager, email=f"c{i}@example.com", name=f"Demo {i}")
    counts = survey_demo.load(now=NOW)
    assert counts["surveys"] == 2 and counts["responses"] == 10 + 15
    phone = Survey.objects.get(name=survey_demo.PHONE)
    assert phone.invitations.filter(state=SurveyInvitation.State.PENDING).count() == 4
    email = Survey.objects.get(name=survey_demo.EMAIL)
    assert email.invitations.filter(state=SurveyInvitation.State.ANSWERED).count() == 15
    assert survey_demo.load(now=NOW) == {}
    period = Period(dt.date(2025, 12, 1), dt.date(2026, 3, 31))
    assert survey_reports.nps(quality, period) and survey_reports.satisfaction(quality, period)["total"]["responses"]
