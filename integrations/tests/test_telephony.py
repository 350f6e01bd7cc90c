"""Telephony: call events from the PBX, the card pop-up, interactions and call-back tasks, access."""

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from activities.models import Interaction, Task
from clients.models import ContactInfo, ContactKind, Counterparty
from clients.tests.factories import ContactPersonFactory, CounterpartyFactory
from core.access import Role
from core.tests.factories import UserFactory
from core.working_time import add_working_time
from integrations.models import Call, CallAlert, PhoneExtension
from integrations.telephony import demo, services

from .telephony_factories import CallFactory, PhoneExtensionFactory

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")
# A Tuesday, 11:00 in Moscow: working time.
NOW = dt.datetime(2026, 3, 10, 11, 0, tzinfo=MSK)
EVENTS_URL = "/api/telephony/events/"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def pbx(db):
    """The PBX's integration user: no role rights of its own, only the telephony permission."""
    user = UserFactory(username="pbx", role=Role.QUALITY)
    user.user_permissions.add(Permission.objects.get(codename="post_call_events"))
    return user


@pytest.fixture
def pbx_api(pbx):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=pbx).key}")
    return client


@pytest.fixture
def line(manager):
    return PhoneExtensionFactory(extension="101", user=manager)


@pytest.fixture
def client_with_phone(manager):
    """The manager's client whose contact person's phone was typed as 8 495 123-45-67."""
    cp = CounterpartyFactory(main_manager=manager, name="ООО Полюс")
    person = ContactPersonFactory(counterparty=cp, last_name="Орлова")
    info = ContactInfo(counterparty=cp, contact_person=person, kind=ContactKind.PHONE, value="84951234567")
    info.full_clean()
    info.save()
    assert info.value == "+74951234567"
    return cp, person


def post(api, **event):
    body = {"call_id": "c1", "direction": "in", "from": "+7 (495) 123-45-67", "to": "+7 495 000-00-00",
            "extension": "101", **event}
    return api.post(EVENTS_URL, body, format="json")


def at(seconds):
    return (NOW + dt.timedelta(seconds=seconds)).isoformat()


# --- The call and what it becomes ---------------------------------------------------------------

def test_ringing_answered_ended_makes_one_interaction_on_the_client_matched_by_number(
        pbx_api, line, client_with_phone, manager):
    cp, person = client_with_phone
    assert post(pbx_api, event="ringing", at=at(0)).status_code == 200
    resp = post(pbx_api, event="answered", at=at(10))
    assert resp.status_code == 200 and resp.json()["state"] == "answered"
    resp = post(pbx_api, event="ended", at=at(10 + 185), duration=185,
                recording_url="https://pbx.example.com/r/c1.mp3")
    assert resp.status_code == 200, resp.content
    call = Call.objects.get(call_id="c1")
    assert (call.state, call.counterparty, call.contact_person, call.user, call.answered_by) == (
        Call.State.COMPLETED, cp, person, manager, manager)
    assert call.number == "+74951234567" and call.duration == 185
    interaction = Interaction.objects.get(counterparty=cp)
    assert call.interaction == interaction and interaction.call == call
    assert interaction.type.code == "incoming_call" and interaction.direction == "in"
    assert interaction.state == Interaction.State.DONE and interaction.responsible == manager
    assert interaction.duration_minutes == 4  # 3:05 rounded up
    assert "3:05" in interaction.content and "https://pbx.example.com/r/c1.mp3" in interaction.content
    assert list(interaction.contact_persons.all()) == [person]
    assert not Task.objects.exists()


def test_repeated_events_change_nothing(pbx_api, line, client_with_phone):
    sequence = [{"event": "ringing", "at": at(0)}, {"event": "answered", "at": at(10)},
                {"event": "ended", "at": at(70), "duration": 60}]
    for event in sequence:
        post(pbx_api, **event)
    call = Call.objects.get()
    version, history = call.version, call.history.count()
    for event in sequence * 2:
        assert post(pbx_api, **event).status_code == 200
    call.refresh_from_db()
    assert (call.version, call.history.count()) == (version, history)
    assert Interaction.objects.count() == 1 and Call.objects.count() == 1


def test_a_recording_sent_later_joins_the_interaction(pbx_api, line, client_with_phone):
    post(pbx_api, event="ended", duration=20, answered_by="101")
    post(pbx_api, event="ended", duration=20, answered_by="101", recording_url="https://pbx.example.com/r.mp3")
    post(pbx_api, event="ended", duration=20, answered_by="101", recording_url="https://pbx.example.com/r.mp3")
    assert Interaction.objects.get().content.count("https://pbx.example.com/r.mp3") == 1


def test_ended_first_then_the_rest_late_is_one_completed_call(pbx_api, line, client_with_phone, manager):
    post(pbx_api, event="ended", at=at(100), duration=90, answered_by="101")
    post(pbx_api, event="answered", at=at(10))
    post(pbx_api, event="ringing", at=at(0))
    call = Call.objects.get()
    assert call.state == Call.State.COMPLETED and call.duration == 90 and call.answered_by == manager
    assert call.started_at == NOW  # the late ringing moved the start back
    assert Interaction.objects.count() == 1 and not Task.objects.exists()


def test_missed_call_becomes_one_call_back_task(pbx_api, line, client_with_phone, manager, pbx):
    cp, _person = client_with_phone
    post(pbx_api, event="ringing", at=at(0))
    post(pbx_api, event="ended", at=at(30))
    post(pbx_api, event="ended", at=at(30))
    call = Call.objects.get()
    assert call.state == Call.State.MISSED and call.answered_at is None
    task = Task.objects.get()
    assert call.task == task and (task.assignee, task.author, task.counterparty) == (manager, pbx, cp)
    assert task.deadline == add_working_time(NOW + dt.timedelta(seconds=30), minutes=30)
    assert "ООО Полюс" in task.title and not Interaction.objects.exists()


def test_missed_call_without_a_line_goes_to_the_clients_main_manager(pbx_api, client_with_phone, manager):
    post(pbx_api, event="ended", extension="999")
    assert Task.objects.get().assignee == manager
    assert Call.objects.get().user is None


def test_an_answer_reported_after_the_end_turns_the_missed_call_completed(pbx_api, line, client_with_phone):
    post(pbx_api, event="ringing", at=at(0))
    post(pbx_api, event="ended", at=at(60))
    post(pbx_api, event="answered", at=at(5))
    call = Call.objects.get()
    assert call.state == Call.State.COMPLETED and call.duration == 55
    assert Interaction.objects.count() == 1
    assert Task.objects.get().state == Task.State.CANCELLED


def test_another_managers_client_stays_with_its_manager(pbx_api, client_with_phone, manager, teammate):
    """The teammate's line takes a call from the manager's client: the interaction and the call-back
    task go to the client's manager, so the teammate's lists do not name the client."""
    PhoneExtensionFactory(extension="102", user=teammate)
    post(pbx_api, call_id="a", event="ended", extension="102", duration=40)
    interaction = Interaction.objects.get()
    assert interaction.responsible == manager and str(teammate) in interaction.content
    assert not Interaction.objects.restrict(teammate).exists()
    post(pbx_api, call_id="m", event="ended", extension="102")
    assert Task.objects.get().assignee == manager and not Task.objects.restrict(teammate).exists()


def test_outgoing_call_is_an_outgoing_interaction(pbx_api, line, client_with_phone):
    for event in ("ringing", "answered"):
        post(pbx_api, event=event, direction="out", **{"from": "101", "to": "8 (495) 123-45-67"})
    post(pbx_api, event="ended", direction="out", duration=42, **{"from": "101", "to": "8 (495) 123-45-67"})
    interaction = Interaction.objects.get()
    assert interaction.type.code == "outgoing_call" and interaction.direction == "out"
    assert Call.objects.get().counterparty == client_with_phone[0]


def test_unknown_number_call_has_no_client_and_a_client_made_from_it_gets_the_call(
        pbx_api, line, manager, client_for):
    post(pbx_api, event="ringing", **{"from": "+7 916 555-44-33"})
    popup = client_for(manager).get(reverse("integrations:call_popup")).content.decode()
    assert 'data-testid="call-popup-unknown"' in popup
    call = Call.objects.get()
    assert call.counterparty is None and call.number == "+79165554433"
    new_client = reverse("integrations:call_new_client", args=[call.pk])
    assert new_client in popup
    post(pbx_api, event="answered")
    post(pbx_api, event="ended", duration=30)
    assert not Interaction.objects.exists()  # nobody to record it on yet

    page = client_for(manager).get(new_client)
    assert page.status_code == 200 and 'value="+79165554433"' in page.content.decode()
    resp = client_for(manager).post(new_client, {
        "name": "ИП Новиков", "kind": "individual", "country": "RU", "main_manager": manager.pk, "confirm_new": "on",
        "info-TOTAL_FORMS": "1", "info-INITIAL_FORMS": "0", "info-0-kind": "mobile", "info-0-value": "+79165554433",
        "person-TOTAL_FORMS": "0", "person-INITIAL_FORMS": "0", "item-TOTAL_FORMS": "0", "item-INITIAL_FORMS": "0"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    cp = Counterparty.objects.get(name="ИП Новиков")
    call.refresh_from_db()
    assert call.counterparty == cp and call.interaction.counterparty == cp


# --- The pop-up -----------------------------------------------------------------------------------

def test_popup_goes_once_to_the_extensions_user_only(pbx_api, line, client_with_phone, manager, teammate,
                                                    client_for):
    PhoneExtensionFactory(extension="102", user=teammate)
    url = reverse("integrations:call_popup")
    post(pbx_api, event="ringing")
    assert client_for(teammate).get(url).content == b""
    first = client_for(manager).get(url)
    body = first.content.decode()
    assert first.status_code == 200 and body.count('data-testid="call-popup"') == 1
    assert "ООО Полюс" in body and client_with_phone[0].get_absolute_url() in body and "Орлова" in body
    assert client_for(manager).get(url).content == b""  # shown once, whatever the tabs
    post(pbx_api, event="answered")
    assert client_for(manager).get(url).content == b""  # answered by the same user: still once
    assert client_for(teammate).get(url).content == b""


def test_popup_for_whoever_answers_on_another_line(pbx_api, line, client_with_phone, manager, head, client_for):
    PhoneExtensionFactory(extension="105", user=head)
    post(pbx_api, event="ringing")
    post(pbx_api, event="answered", answered_by="105")
    assert 'data-testid="call-popup"' in client_for(head).get(reverse("integrations:call_popup")).content.decode()
    assert Call.objects.get().answered_by == head


def test_popup_of_another_managers_client_names_the_manager_not_the_client(pbx_api, teammate, manager,
                                                                         client_with_phone, client_for):
    PhoneExtensionFactory(extension="102", user=teammate)
    post(pbx_api, event="ringing", extension="102")
    body = client_for(teammate).get(reverse("integrations:call_popup")).content.decode()
    assert 'data-testid="call-popup-hidden"' in body and str(manager) in body
    assert "ООО Полюс" not in body and "Орлова" not in body
    assert reverse("integrations:call_new_client", args=[Call.objects.get().pk]) not in body


def test_popup_stops_the_polling_of_users_without_a_line_and_skips_finished_calls(
        pbx_api, line, manager, teammate, client_for):
    assert client_for(teammate).get(reverse("integrations:call_popup")).status_code == 286
    assert Client().get(reverse("integrations:call_popup")).status_code == 286  # logged out: no login page
    post(pbx_api, event="ringing")
    post(pbx_api, event="ended")
    assert client_for(manager).get(reverse("integrations:call_popup")).content == b""
    assert CallAlert.objects.get().shown_at is None


def test_the_bar_polls_for_popups(manager, client_for):
    body = client_for(manager).get(reverse("clients:counterparty_list")).content.decode()
    assert 'data-testid="call-popups"' in body and reverse("integrations:call_popup") in body


# --- API: who may post, what is refused ----------------------------------------------------------

def test_events_need_the_telephony_permission(manager, head, line):
    body = {"call_id": "x", "event": "ringing", "direction": "in", "from": "+74951234567", "to": "101"}
    assert APIClient().post(EVENTS_URL, body, format="json").status_code == 401
    for user in (manager, head):  # a role, however high, is not the PBX's permission
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        assert client.post(EVENTS_URL, body, format="json").status_code == 403
    assert not Call.objects.exists()


@pytest.mark.parametrize(("change", "field"), [
    ({"call_id": ""}, "call_id"),
    ({"event": "hangup"}, "event"),
    ({"direction": "sideways"}, "direction"),
    ({"from": ""}, "from"),
    ({"to": None}, "to"),
    ({"at": "yesterday"}, "at"),
    ({"duration": 30}, "duration"),  # on a ringing event
    ({"event": "ended", "duration": -1}, "duration"),
    ({"event": "ended", "recording_url": "not a link"}, "recording_url"),
    ({"user": "nobody"}, "user"),
])
def test_invalid_events_are_400_naming_the_field(pbx_api, change, field):
    body = {"call_id": "c1", "event": "ringing", "direction": "in", "from": "+74951234567", "to": "101", **change}
    resp = pbx_api.post(EVENTS_URL, body, format="json")
    assert resp.status_code == 400 and field in resp.json(), resp.content
    assert not Call.objects.exists()


def test_event_names_the_employee_by_user_name(pbx_api, manager):
    body = {"call_id": "c9", "event": "ringing", "direction": "in", "from": "anonymous", "to": "+74950000000",
            "user": manager.username}
    assert pbx_api.post(EVENTS_URL, body, format="json").status_code == 200
    call = Call.objects.get()
    assert call.user == manager and call.number == "anonymous" and call.counterparty is None


# --- Access to the calls -------------------------------------------------------------------------

def test_a_manager_sees_the_calls_of_their_clients_and_their_own(manager, teammate, head, client_for, api):
    mine = CounterpartyFactory(main_manager=manager, name="Мой клиент")
    theirs = CounterpartyFactory(main_manager=teammate, name="Чужой клиент")
    on_my_client = CallFactory(counterparty=mine, number="+74951110001")
    on_my_line = CallFactory(counterparty=theirs, user=manager, number="+74951110002")
    foreign = CallFactory(counterparty=theirs, user=teammate, number="+74951110003")
    assert set(Call.objects.restrict(manager)) == {on_my_client, on_my_line}
    page = client_for(manager).get(reverse("integrations:call_list")).content.decode()
    assert "+7 495 111-00-01" in page and "+7 495 111-00-02" in page and "+7 495 111-00-03" not in page
    # A call on my line from another manager's client: the call, not the client's name.
    assert "Мой клиент" in page and "Чужой клиент" not in page
    ids = {row["id"] for row in api(manager).get("/api/telephony/calls/").json()["results"]}
    assert ids == {on_my_client.pk, on_my_line.pk}
    assert api(manager).get(f"/api/telephony/calls/{foreign.pk}/").status_code == 404
    assert client_for(manager).get(reverse("integrations:call", args=[foreign.pk])).status_code == 404
    assert len(api(head).get("/api/telephony/calls/").json()["results"]) == 3


def test_call_list_filters(manager, client_for):
    cp = CounterpartyFactory(main_manager=manager)
    CallFactory(counterparty=cp, number="+74951110001", state=Call.State.MISSED)
    CallFactory(counterparty=cp, number="+74951110002", direction=Call.Direction.OUTGOING,
                started_at=NOW - dt.timedelta(days=5))
    CallFactory(counterparty=cp, number="+74951110003", answered_by=manager)
    c = client_for(manager)
    url = reverse("integrations:call_list")

    def shown(**params):
        body = c.get(url, params).content.decode()
        return {n for n in ("01", "02", "03") if f"+7 495 111-00-{n}" in body}

    assert shown(missed="true") == {"01"}
    assert shown(direction="out") == {"02"}
    assert shown(started_after=(NOW - dt.timedelta(days=1)).date().isoformat()) == {"01", "03"}
    assert shown(employee=manager.pk) == {"03"}
    assert c.get(url, {"started_after": "never"}).status_code == 400


def test_extensions_are_settings_of_the_administrator(admin_user, manager, client_for):
    url = reverse("integrations:extension_add")
    assert client_for(manager).get(url).status_code == 403
    resp = client_for(admin_user).post(url, {"extension": " 120 ", "user": manager.pk})
    assert resp.status_code == 302
    assert PhoneExtension.objects.get().extension == "120"
    resp = client_for(admin_user).post(url, {"extension": "120", "user": admin_user.pk})
    assert resp.status_code == 400 and PhoneExtension.objects.count() == 1
    assert client_for(admin_user).get(reverse("integrations:extension_list")).status_code == 200
    assert client_for(admin_user).get(reverse("admin:integrations_phoneextension_changelist")).status_code == 200


# --- Click-to-call -------------------------------------------------------------------------------

def test_phone_numbers_are_click_to_call_links(manager, client_for, client_with_phone):
    html = Template("{% load client_tags %}{{ p|phone_link }}").render(Context({"p": "8 (495) 123-45-67"}))
    assert html == '<a href="tel:+74951234567">+7 495 123-45-67</a>'
    assert Template("{% load client_tags %}{{ p|phone_link }}").render(Context({"p": "ext. 5"})) == "ext. 5"
    cp, _person = client_with_phone
    card = client_for(manager).get(cp.get_absolute_url() + "?tab=persons").content.decode()
    assert 'href="tel:+74951234567"' in card


# --- Demo --------------------------------------------------------------------------------------------

def test_demo_calls_are_loaded_once(admin_user, client_with_phone, manager):
    assert demo.load(stdout=StringIO()) > 0
    assert PhoneExtension.objects.get(extension="101").user == manager
    calls = Call.objects.filter(call_id__startswith=demo.PREFIX)
    assert calls.filter(state=Call.State.COMPLETED, interaction__isnull=False).exists()
    assert calls.filter(state=Call.State.MISSED, task__isnull=False).exists()
    assert calls.filter(counterparty__isnull=True).exists()
    count = calls.count()
    assert demo.load(stdout=StringIO()) == 0 and calls.count() == count
    assert not CallAlert.objects.filter(shown_at__isnull=True).exists()


def test_services_normalise_numbers_alike():
    assert services.normalise_number("+7 (495) 123-45-67") == services.normalise_number("84951234567")
