"""Web forms: the snippet, and the public endpoint's refusals (token, origin, size, honeypot,
proof of work, replay, rate limit, bad fields) and its inquiries."""

import datetime as dt
import json

import altcha
import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from marketing.models import Inquiry, WebForm
from marketing.tests.factories import CampaignFactory
from sales.models import LeadSource

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def cheap_proof_of_work(settings):
    settings.KLIENTURA_ALTCHA_COST = 1


@pytest.fixture
def web_form(manager):
    return WebForm.objects.create(name="Заявка с сайта", campaign=CampaignFactory(name="Лето"), responsible=manager,
                                  lead_source=LeadSource.objects.get(code="website"))


def solved(web_form, client=None):
    """A payload solving a fresh challenge of ``web_form``, as the widget makes it."""
    client = client or Client()
    data = client.get(reverse("webforms:challenge", args=[web_form.token])).json()
    challenge = altcha.Challenge.from_dict(data)
    return altcha.Payload(challenge, altcha.solve_challenge(challenge)).to_base64()


def post(web_form, data, client=None, **headers):
    client = client or Client(enforce_csrf_checks=True)
    return client.post(reverse("webforms:submit", args=[web_form.token]), data, **headers)


def good(web_form, **overrides):
    return {"person_name": "Смирнова Ольга", "phone": "+7 495 123-45-02", "email": "olga@uyut.ru",
            "message": "Нужна витрина", "utm_source": "yandex", "utm_campaign": "leto", "website": "",
            "altcha": solved(web_form), **overrides}


def test_a_submission_becomes_an_inquiry_of_the_form(web_form, manager):
    resp = post(web_form, good(web_form), HTTP_ORIGIN="https://www.uyut.ru")
    assert resp.status_code == 201 and resp.json() == {"ok": True, "message": web_form.success_message}
    assert resp["Access-Control-Allow-Origin"] == "https://www.uyut.ru"  # no origin list: any site
    inquiry = Inquiry.objects.get()
    assert (inquiry.channel, inquiry.campaign, inquiry.responsible) == ("web_form", web_form.campaign, manager)
    assert (inquiry.lead_source.code, inquiry.utm_source, inquiry.utm_campaign) == ("website", "yandex", "leto")
    assert (inquiry.person_name, inquiry.phone, inquiry.email) == ("Смирнова Ольга", "+74951234502", "olga@uyut.ru")


@pytest.mark.parametrize(("overrides", "field"), [
    ({"website": "http://spam.example"}, "website"),  # the honeypot
    ({"altcha": ""}, "altcha"),
    ({"altcha": "bm90IGpzb24="}, "altcha"),  # base64, not a payload
    ({"person_name": ""}, "person_name"),  # required by the form
    ({"email": "not-an-email"}, "email"),
    ({"phone": "12"}, "phone"),
    ({"message": "x" * 4001}, "message"),
])
def test_bad_submissions_are_refused_naming_the_field(web_form, overrides, field):
    resp = post(web_form, good(web_form, **overrides))
    assert resp.status_code == 400 and field in resp.json()["errors"], resp.json()
    assert not Inquiry.objects.exists()


def test_a_solution_counts_once_for_its_form_until_it_expires(web_form, manager):
    payload = solved(web_form)
    assert post(web_form, good(web_form, altcha=payload)).status_code == 201
    again = post(web_form, good(web_form, altcha=payload))
    assert again.status_code == 400 and "altcha" in again.json()["errors"]  # replayed
    other = WebForm.objects.create(name="Другая форма")
    assert post(other, good(other, altcha=solved(web_form))).status_code == 400  # another form's challenge
    stale = solved(web_form)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=11)):
        assert post(web_form, good(web_form, altcha=stale)).status_code == 400
    assert Inquiry.objects.count() == 1


def test_an_address_may_post_only_so_often(web_form, settings):
    settings.KLIENTURA_WEBFORM_RATE = 2
    statuses = [post(web_form, good(web_form), REMOTE_ADDR="203.0.113.5").status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    assert post(web_form, good(web_form), REMOTE_ADDR="203.0.113.6").status_code == 201  # another address
    assert Inquiry.objects.count() == 3


def test_only_the_forms_token_its_sites_and_small_bodies(web_form):
    assert Client().post("/f/not-a-token/", good(web_form)).status_code == 404
    web_form.allowed_origins = "https://www.uyut.ru"
    web_form.save()
    refused = post(web_form, good(web_form), HTTP_ORIGIN="https://evil.example")
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused
    assert post(web_form, good(web_form), HTTP_ORIGIN="https://www.uyut.ru").status_code == 201
    big = post(web_form, good(web_form, message="x" * 20_000))
    assert big.status_code == 413
    data = good(web_form)
    web_form.is_active = False
    web_form.save()
    assert post(web_form, data).status_code == 404 and "__all__" in post(web_form, data).json()["errors"]
    assert Inquiry.objects.count() == 1


def test_the_snippet_posts_to_the_form_with_its_fields(web_form, marketer, client_for):
    page = client_for(marketer).get(web_form.get_absolute_url())
    snippet = page.context["snippet"]
    assert f'action="http://testserver/f/{web_form.token}/"' in snippet
    assert f'challenge="http://testserver/f/{web_form.token}/challenge/"' in snippet
    assert 'name="person_name"' in snippet and 'name="website"' in snippet and 'name="company"' in snippet
    assert "/f/assets/altcha.js" in snippet and "/f/assets/webform.js" in snippet
    script = Client().get("/f/assets/altcha.js")
    assert script.status_code == 200 and script["Access-Control-Allow-Origin"] == "*"
    assert script["Content-Type"].startswith("text/javascript") and len(script.content) > 10_000
    assert Client().get("/f/assets/settings.py").status_code == 404
    assert json.loads(Client().get(f"/f/{web_form.token}/challenge/").content)["parameters"]["algorithm"] == \
        "PBKDF2/SHA-256"


def test_marketers_build_web_forms_and_sales_managers_do_not(marketer, manager, client_for):
    data = {"name": "Форма", "is_active": "on", "campaign": "", "lead_source": "", "responsible": "",
            "person_name_field": "required", "company_field": "optional", "phone_field": "hidden",
            "email_field": "hidden", "message_field": "optional", "allowed_origins": "www.uyut.ru",
            "success_message": "Спасибо!"}
    resp = client_for(marketer).post(reverse("marketing:webform_add"), data)
    assert resp.status_code == 400
    assert set(resp.context["form"].errors) == {"phone_field", "allowed_origins"}
    data.update(phone_field="required", allowed_origins="https://www.uyut.ru\nhttp://localhost:8080")
    assert client_for(marketer).post(reverse("marketing:webform_add"), data).status_code == 302
    assert WebForm.objects.get().origins() == ["https://www.uyut.ru", "http://localhost:8080"]
    assert client_for(manager).get(reverse("marketing:webform_add")).status_code == 403
