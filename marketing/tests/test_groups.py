"""Mailing groups: kept by marketers; clients and their contact persons added from the client
card's tab by whoever may change the client; each sees the members they may see."""

import pytest
from django.urls import reverse

from clients.models import ContactPerson
from clients.tests.factories import CounterpartyFactory
from marketing.models import GroupMember, MailingGroup

pytestmark = pytest.mark.django_db


def test_groups_are_kept_by_marketers(marketer, manager, client_for):
    resp = client_for(marketer).post(reverse("marketing:group_add"), {"name": "Новости", "description": ""})
    assert resp.status_code == 302 and MailingGroup.objects.get().name == "Новости"
    assert client_for(manager).get(reverse("marketing:group_add")).status_code == 403
    assert client_for(manager).get(reverse("marketing:group_list")).status_code == 200


def test_a_manager_adds_their_client_and_its_person_from_the_card(manager, teammate, client_for):
    group = MailingGroup.objects.create(name="Новости")
    mine = CounterpartyFactory(name="Ромашка", main_manager=manager)
    person = ContactPerson.objects.create(counterparty=mine, last_name="Иванова", first_name="Анна")
    stranger = ContactPerson.objects.create(counterparty=CounterpartyFactory(main_manager=manager), last_name="Чужая")
    c = client_for(manager)
    url = reverse("marketing:card_groups", args=[mine.pk])
    assert 'data-testid="add-to-group"' in c.get(url).content.decode()
    assert c.post(url, {"group": group.pk}).status_code == 302
    assert c.post(url, {"group": group.pk, "contact_person": person.pk}).status_code == 302
    again = c.post(url, {"group": group.pk})
    assert again.status_code == 400 and GroupMember.objects.filter(contact_person=None).count() == 1
    wrong = c.post(url, {"group": group.pk, "contact_person": stranger.pk})
    assert wrong.status_code == 400 and "contact_person" in wrong.context["form"].errors
    tab = c.get(url).content.decode()
    assert "Иванова" in tab and "Новости" in tab
    # The teammate neither sees nor changes the client's memberships.
    assert client_for(teammate).post(url, {"group": group.pk}).status_code == 404
    theirs = CounterpartyFactory(name="Чужой клиент", main_manager=teammate)
    GroupMember.objects.create(group=group, counterparty=theirs)
    page = c.get(group.get_absolute_url()).content.decode()
    assert "Ромашка" in page and "Чужой клиент" not in page
    # Removing goes to the trash; the client can be added again.
    member = GroupMember.objects.get(counterparty=mine, contact_person=None)
    assert c.post(reverse("marketing:groupmember_delete", args=[member.pk])).status_code == 302
    assert c.post(url, {"group": group.pk}).status_code == 302


def test_members_through_the_api(manager, api):
    group = MailingGroup.objects.create(name="Новости")
    mine = CounterpartyFactory(main_manager=manager)
    client = api(manager)
    resp = client.post("/api/mailing-group-members/", {"group": group.pk, "counterparty": mine.pk}, format="json")
    assert resp.status_code == 201, resp.json()
    resp = client.post("/api/mailing-group-members/", {"group": group.pk, "counterparty": mine.pk}, format="json")
    assert resp.status_code == 400
    assert client.post("/api/mailing-groups/", {"name": "X"}, format="json").status_code == 403
