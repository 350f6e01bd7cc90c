"""Inquiries: registration with validation, conversion into a client, a contact person and a deal
(with the client wizard's duplicate check), the campaign's funnel, and who sees what."""

import pytest
from django.urls import reverse

from clients.models import ContactInfo, ContactPerson, Counterparty
from clients.tests.factories import CounterpartyFactory
from marketing.models import DealCampaign, Inquiry
from marketing.tests.factories import CampaignFactory, InquiryFactory
from sales.models import Deal, LeadSource, StageChange

pytestmark = pytest.mark.django_db

CONVERT = {"existing": "", "name": "ООО «Северный ветер»", "kind": "legal", "last_name": "Петров",
           "first_name": "Илья", "create_deal": "on", "deal_title": "Холодильная камера для склада"}


def inquiry_form(**overrides):
    data = {"received_at": "2026-03-02T10:15", "channel": "phone", "campaign": "", "company": "Северный ветер",
            "person_name": "Петров Илья", "phone": "8 (495) 123-45-67", "email": "Petrov@North.RU",
            "message": "Нужна холодильная камера", "state": "new", "reject_reason": "", "responsible": "",
            "utm_source": "", "utm_medium": "", "utm_campaign": ""}
    return {**data, **overrides}


def test_an_inquiry_is_registered_with_normalised_contacts(marketer, client_for):
    c = client_for(marketer)
    resp = c.post(reverse("marketing:inquiry_add"), inquiry_form())
    assert resp.status_code == 302, resp.content.decode()[:3000]
    inquiry = Inquiry.objects.get()
    assert (inquiry.phone, inquiry.email) == ("+74951234567", "Petrov@north.ru")
    assert "Северный ветер" in c.get(reverse("marketing:inquiry_list")).content.decode()


@pytest.mark.parametrize(("overrides", "field"), [
    ({"company": "", "person_name": "", "phone": "", "email": ""}, "person_name"),
    ({"phone": "12"}, "phone"),
    ({"email": "not-an-email"}, "email"),
    ({"state": "rejected"}, "reject_reason"),
    ({"state": "converted"}, "state"),  # only the conversion converts
])
def test_bad_inquiries_are_refused_naming_the_field(marketer, client_for, overrides, field):
    resp = client_for(marketer).post(reverse("marketing:inquiry_add"), inquiry_form(**overrides))
    assert resp.status_code == 400 and field in resp.context["form"].errors
    assert not Inquiry.objects.exists()


def test_conversion_makes_a_client_a_person_and_a_deal_of_the_campaign(manager, client_for):
    exhibition = LeadSource.objects.get(code="exhibition")
    campaign = CampaignFactory(name="Продэкспо", lead_source=exhibition)
    inquiry = InquiryFactory(company="Северный ветер", person_name="Петров Илья", phone="+74951234567",
                             email="petrov@north.ru", campaign=campaign, responsible=manager)
    c = client_for(manager)
    form = c.get(reverse("marketing:inquiry_convert", args=[inquiry.pk])).context["form"]
    assert (form.initial["last_name"], form.initial["first_name"]) == ("Петров", "Илья")
    resp = c.post(reverse("marketing:inquiry_convert", args=[inquiry.pk]), CONVERT)
    assert resp.status_code == 302, resp.content.decode()[:3000]
    inquiry.refresh_from_db()
    client, deal = inquiry.counterparty, inquiry.deal
    assert inquiry.state == "converted" and inquiry.converted_at
    assert (client.name, client.main_manager, client.is_client) == ("ООО «Северный ветер»", manager, True)
    person = ContactPerson.objects.get(counterparty=client)
    assert (person.last_name, person.first_name) == ("Петров", "Илья")
    assert set(ContactInfo.objects.filter(contact_person=person).values_list("value", flat=True)) == {
        "+74951234567", "petrov@north.ru"}
    assert (deal.title, deal.responsible, deal.counterparty) == ("Холодильная камера для склада", manager, client)
    assert StageChange.objects.filter(deal=deal, from_stage=None).exists()  # the board's history starts
    assert DealCampaign.objects.get(deal=deal).campaign == campaign
    assert deal.lead_source == exhibition  # the inquiry has none: the campaign's
    assert resp["Location"] == deal.get_absolute_url()
    funnel = c.get(campaign.get_absolute_url()).context["funnel"]
    assert funnel == {"inquiries": 1, "clients": 1, "deals": 1, "won": 0}
    # Converted once: a second conversion is refused, and nothing more is created.
    again = c.post(reverse("marketing:inquiry_convert", args=[inquiry.pk]), CONVERT)
    assert again.status_code == 400 and Counterparty.objects.count() == 1 and Deal.objects.count() == 1


def test_the_duplicate_check_offers_the_existing_client(manager, teammate, client_for):
    mine = CounterpartyFactory(name="Северный ветер", main_manager=manager)
    ContactInfo.objects.create(counterparty=mine, kind="phone", value="+74951234567")
    theirs = CounterpartyFactory(name="ООО Северный ветер", main_manager=teammate)
    inquiry = InquiryFactory(company="Северный ветер", phone="+74951234567", responsible=manager)
    c = client_for(manager)
    url = reverse("marketing:inquiry_convert", args=[inquiry.pk])
    page = c.get(url)
    found = {d["counterparty"].pk: d["visible"] for d in page.context["form"].duplicates}
    assert found == {mine.pk: True, theirs.pk: False}
    assert dict(page.context["form"].fields["existing"].choices).keys() == {"", mine.pk}
    refused = c.post(url, CONVERT)  # a new client without confirming
    assert refused.status_code == 400 and "confirm_new" in refused.context["form"].errors
    assert c.post(url, {**CONVERT, "existing": theirs.pk}).status_code == 400  # not a choice for them
    resp = c.post(url, {**CONVERT, "existing": mine.pk})
    assert resp.status_code == 302
    inquiry.refresh_from_db()
    assert inquiry.counterparty == mine and Counterparty.objects.count() == 2
    assert ContactInfo.objects.filter(value="+74951234567").count() == 1  # not added twice


def test_a_manager_sees_only_their_inquiries(manager, teammate, head, client_for, api):
    mine = InquiryFactory(company="Моё обращение", responsible=manager)
    theirs = InquiryFactory(company="Чужое обращение", responsible=teammate)
    unassigned = InquiryFactory(company="Ничьё обращение")
    page = client_for(manager).get(reverse("marketing:inquiry_list")).content.decode()
    assert "Моё обращение" in page and "Чужое обращение" not in page and "Ничьё обращение" not in page
    assert client_for(manager).get(theirs.get_absolute_url()).status_code == 404
    assert client_for(manager).post(reverse("marketing:inquiry_convert", args=[theirs.pk]), CONVERT).status_code \
        == 404
    ids = {row["id"] for row in api(manager).get("/api/inquiries/").json()["results"]}
    assert ids == {mine.pk}
    assert {row["id"] for row in api(head).get("/api/inquiries/").json()["results"]} == {
        mine.pk, theirs.pk, unassigned.pk}


def test_conversion_through_the_api(manager, api):
    inquiry = InquiryFactory(person_name="Сидорова Анна", email="anna@example.com", responsible=manager)
    client = api(manager)
    resp = client.post(f"/api/inquiries/{inquiry.pk}/convert/", {"kind": "individual", "last_name": "Сидорова",
                                                                 "deal_title": "Витрина"}, format="json")
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["state"] == "converted" and body["deal"] and body["counterparty"]
    assert Counterparty.objects.get(pk=body["counterparty"]).name == "Сидорова Анна"
    resp = client.post(f"/api/inquiries/{inquiry.pk}/convert/", {}, format="json")
    assert resp.status_code == 400
    resp = client.patch(f"/api/inquiries/{inquiry.pk}/", {"state": "new", "version": body["version"]},
                        format="json")
    assert resp.status_code == 400 and "state" in resp.json()  # converted stays converted
    other = InquiryFactory(responsible=manager)
    resp = client.patch(f"/api/inquiries/{other.pk}/", {"state": "converted", "version": 1}, format="json")
    assert resp.status_code == 400 and "state" in resp.json()
