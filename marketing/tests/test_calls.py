"""Telemarketing: call lists filled from a segment or a group, the operators' queue (one entry to
one operator at a time, leases, call-backs, retries), results stored as interactions, access."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from activities.models import Interaction
from clients.models import ContactInfo, ContactKind, ContactPerson
from clients.tests.factories import CounterpartyFactory
from core.models import ConflictError
from core.tests.factories import UserFactory
from marketing import call_lists
from marketing.models import CallList, CallListEntry, CallQuestion, CallScript, GroupMember, MailingGroup, Segment

pytestmark = pytest.mark.django_db
State = CallListEntry.State
NOW = timezone.make_aware(dt.datetime(2026, 3, 10, 10, 0))


def phone(client, value, person=None, kind=ContactKind.PHONE):
    return ContactInfo.objects.create(counterparty=client, contact_person=person, kind=kind, value=value)


def make_script():
    script = CallScript.objects.create(name="Опрос", intro="Здравствуйте!")
    need = CallQuestion.objects.create(script=script, order=1, text="Кто отвечает?", required=True)
    yes_no = CallQuestion.objects.create(script=script, order=2, text="Интересно?", kind=CallQuestion.Kind.YES_NO)
    choice = CallQuestion.objects.create(script=script, order=3, text="Сколько?", kind=CallQuestion.Kind.CHOICE,
                                         options="1–5\n6–20")
    return script, (need, yes_no, choice)


@pytest.fixture
def script():
    return make_script()[0]


def group_list(script, members, **extra):
    group = MailingGroup.objects.create(name="Группа")
    for client, person in members:
        GroupMember.objects.create(group=group, counterparty=client, contact_person=person)
    return CallList.objects.create(name="Обзвон", script=script, group=group, state=CallList.State.ACTIVE, **extra)


def filled(script, clients, user, **extra):
    call_list = group_list(script, [(c, None) for c in clients], **extra)
    call_lists.fill(call_list, user, now=NOW)
    return call_list


# --- Filling --------------------------------------------------------------------------------------

def test_fill_from_a_group_picks_the_phones_and_skips_clients_without_one(script, head, manager):
    office = CounterpartyFactory(name="Офис")
    phone(office, "+74951110000", kind=ContactKind.MOBILE)
    phone(office, "+74951110001")  # the landline is preferred
    through_person = CounterpartyFactory(name="Через сотрудника")
    anna = ContactPerson.objects.create(counterparty=through_person, last_name="Анна")
    phone(through_person, "+79161110002", person=anna, kind=ContactKind.MOBILE)
    member_person = CounterpartyFactory(name="С контактом")
    boris = ContactPerson.objects.create(counterparty=member_person, last_name="Борис")
    phone(member_person, "+74951110003")
    phone(member_person, "+79161110004", person=boris, kind=ContactKind.MOBILE)
    silent = CounterpartyFactory(name="Без телефона")
    ContactInfo.objects.create(counterparty=silent, kind=ContactKind.EMAIL, value="a@b.ru")
    call_list = group_list(script, [(office, None), (through_person, None), (member_person, boris), (silent, None)])

    assert call_lists.fill(call_list, head) == (3, 1)
    got = {e.counterparty.name: (e.contact_person_id, e.phone, e.state) for e in call_list.entries.all()}
    assert got == {"Офис": (None, "+74951110001", State.PENDING),
                   "Через сотрудника": (anna.pk, "+79161110002", State.PENDING),
                   "С контактом": (boris.pk, "+79161110004", State.PENDING)}
    call_list.refresh_from_db()
    assert call_list.skipped == 1 and call_list.filled_at is not None
    assert CallListEntry.history.count() == 3  # bulk insert, with history
    # Filling again adds only the source's newcomers.
    newcomer = CounterpartyFactory(name="Новый")
    phone(newcomer, "+74951110005")
    GroupMember.objects.create(group=call_list.group, counterparty=newcomer)
    assert call_lists.fill(call_list, head) == (1, 1)
    assert call_list.entries.count() == 4


def test_fill_from_a_segment_takes_the_clients_the_filler_sees(script, manager, teammate):
    mine, theirs = CounterpartyFactory(main_manager=manager), CounterpartyFactory(main_manager=teammate)
    phone(mine, "+74951110010")
    phone(theirs, "+74951110011")
    segment = Segment.objects.create(name="Все", query="")
    call_list = CallList.objects.create(name="По сегменту", script=script, segment=segment)
    assert call_lists.fill(call_list, manager) == (1, 0)
    assert list(call_list.entries.values_list("counterparty", flat=True)) == [mine.pk]


def test_a_list_has_one_source(script):
    with pytest.raises(ValidationError) as exc:
        CallList(name="X", script=script).full_clean()
    assert "segment" in exc.value.message_dict
    group, segment = MailingGroup.objects.create(name="G"), Segment.objects.create(name="S")
    with pytest.raises(ValidationError):
        CallList(name="X", script=script, group=group, segment=segment).full_clean()


# --- The queue ------------------------------------------------------------------------------------

def test_two_operators_never_get_the_same_entry(script, head, marketer):
    clients = [CounterpartyFactory() for _ in range(3)]
    for i, client in enumerate(clients):
        phone(client, f"+7495111002{i}")
    call_list = filled(script, clients, head)
    first = call_lists.claim_next(call_list, head, now=NOW)
    second = call_lists.claim_next(call_list, marketer, now=NOW)
    assert first.pk != second.pk and first.operator == head and second.operator == marketer
    assert first.state == State.IN_PROGRESS and first.claimed_until == NOW + call_lists.LEASE
    # Asking again gives the operator the call they hold, not another.
    assert call_lists.claim_next(call_list, head, now=NOW).pk == first.pk


def test_the_claim_is_a_conditional_update_only_one_operator_wins(script, head, marketer):
    client = CounterpartyFactory()
    phone(client, "+74951110030")
    call_list = filled(script, [client], head)
    # Both read the same candidate (as two requests at the same moment would); one UPDATE wins.
    candidate = call_lists.due_entries(call_list, head, NOW).values_list("pk", "version").first()
    assert call_lists.claim(candidate, call_list, head, NOW) is True
    assert call_lists.claim(candidate, call_list, marketer, NOW) is False
    assert call_lists.claim_next(call_list, marketer, now=NOW) is None
    assert CallListEntry.objects.get().operator == head


def test_an_abandoned_call_returns_to_the_queue_after_the_lease(script, head, marketer):
    client = CounterpartyFactory()
    phone(client, "+74951110040")
    call_list = filled(script, [client], head)
    entry = call_lists.claim_next(call_list, head, now=NOW)
    assert call_lists.claim_next(call_list, marketer, now=NOW + dt.timedelta(minutes=14)) is None
    later = NOW + call_lists.LEASE + dt.timedelta(seconds=1)
    taken = call_lists.claim_next(call_list, marketer, now=later)
    assert taken.pk == entry.pk and taken.operator == marketer
    # The first operator's late result is refused whole (their entry is stale): no interaction left.
    with pytest.raises(ConflictError):
        call_lists.record_result(entry, head, State.REACHED, answers=answers_for(call_list), now=later)
    assert not Interaction.objects.exists()
    # Reloaded, the entry says who is calling now.
    with pytest.raises(ValidationError) as exc:
        call_lists.record_result(CallListEntry.objects.get(pk=entry.pk), head, State.NO_ANSWER, now=later)
    assert "result" in exc.value.message_dict


def answers_for(call_list):
    need, yes_no, choice = call_list.script.live_questions()
    return {str(need.pk): "Главный инженер", str(yes_no.pk): "yes", str(choice.pk): "6–20"}


def test_call_backs_come_back_when_their_time_comes_and_no_answers_are_retried(script, head):
    a, b = CounterpartyFactory(name="A"), CounterpartyFactory(name="B")
    phone(a, "+74951110050")
    phone(b, "+74951110051")
    call_list = filled(script, [a, b], head, max_attempts=2, retry_minutes=60)
    first = call_lists.claim_next(call_list, head, now=NOW)
    call_lists.record_result(first, head, State.CALL_BACK, call_back_at=NOW + dt.timedelta(hours=3), now=NOW)
    second = call_lists.claim_next(call_list, head, now=NOW)
    call_lists.record_result(second, head, State.NO_ANSWER, now=NOW)
    assert call_lists.claim_next(call_list, head, now=NOW + dt.timedelta(minutes=30)) is None
    retry = call_lists.claim_next(call_list, head, now=NOW + dt.timedelta(minutes=61))
    assert retry.pk == second.pk
    call_lists.record_result(retry, head, State.NO_ANSWER, now=NOW + dt.timedelta(minutes=61))
    # Two attempts made: given up on; the call-back is due after its time, first.
    assert call_lists.claim_next(call_list, head, now=NOW + dt.timedelta(hours=2)) is None
    back = call_lists.claim_next(call_list, head, now=NOW + dt.timedelta(hours=3))
    assert back.pk == first.pk
    progress = call_lists.progress(call_list, head, now=NOW + dt.timedelta(hours=3))
    assert (progress["total"], progress["done"], progress["gave_up"], progress["percent"]) == (2, 1, 1, 50)


def test_release_gives_the_call_back_to_the_queue(script, head, marketer):
    client = CounterpartyFactory()
    phone(client, "+74951110060")
    call_list = filled(script, [client], head)
    entry = call_lists.claim_next(call_list, head, now=NOW)
    assert call_lists.release(entry, marketer) is False  # not theirs
    assert call_lists.release(entry, head) is True
    assert call_lists.claim_next(call_list, marketer, now=NOW).pk == entry.pk


# --- Results --------------------------------------------------------------------------------------

def test_a_result_is_an_interaction_saved_with_the_entry(script, head):
    client = CounterpartyFactory(name="Ромашка")
    person = ContactPerson.objects.create(counterparty=client, last_name="Иванова")
    phone(client, "+74951110070", person=person)
    call_list = group_list(script, [(client, person)])
    call_lists.fill(call_list, head)
    entry = call_lists.claim_next(call_list, head, now=NOW)
    call_lists.record_result(entry, head, State.REACHED, answers=answers_for(call_list), comment="Прислать КП",
                             now=NOW)
    entry.refresh_from_db()
    assert (entry.state, entry.attempts, entry.operator, entry.claimed_until) == (State.REACHED, 1, head, None)
    interaction = entry.interaction
    assert interaction.type.code == "outgoing_call" and interaction.direction == Interaction.Direction.OUTGOING
    assert interaction.state == Interaction.State.DONE and interaction.responsible == head
    assert interaction.counterparty == client and list(interaction.contact_persons.all()) == [person]
    assert "Обзвон" in interaction.subject and interaction.basis == call_list and interaction.start == NOW
    assert interaction.content == "Кто отвечает?: Главный инженер\nИнтересно?: Yes\nСколько?: 6–20\n\nПрислать КП"
    assert entry.history.count() >= 2


def test_results_are_validated(script, head):
    client = CounterpartyFactory()
    phone(client, "+74951110080")
    call_list = filled(script, [client], head)
    need, yes_no, choice = call_list.script.live_questions()
    entry = call_lists.claim_next(call_list, head, now=NOW)

    def error(result, **kwargs):
        with pytest.raises(ValidationError) as exc:
            call_lists.record_result(entry, head, result, now=NOW, **kwargs)
        return exc.value.message_dict

    assert "call_back_at" in error(State.CALL_BACK)
    assert "call_back_at" in error(State.CALL_BACK, call_back_at=NOW - dt.timedelta(minutes=1))
    assert "answers" in error(State.REACHED)  # the required question
    assert "answers" in error(State.REACHED, answers={str(need.pk): "x", str(yes_no.pk): "maybe"})
    assert "answers" in error(State.REACHED, answers={str(need.pk): "x", str(choice.pk): "100"})
    assert "answers" in error(State.REACHED, answers={"999999": "x"})
    assert "result" in error("done")
    assert not Interaction.objects.exists()
    # Required answers are for a reached client only.
    call_lists.record_result(entry, head, State.REFUSED, now=NOW)
    assert CallListEntry.objects.get().state == State.REFUSED


# --- Pages ----------------------------------------------------------------------------------------

def test_a_marketer_makes_a_script_and_a_list_that_is_filled_on_save(marketer, manager, client_for):
    c = client_for(marketer)
    data = {"name": "Опрос", "intro": "Добрый день", "question-TOTAL_FORMS": "2", "question-INITIAL_FORMS": "0",
            "question-0-order": "1", "question-0-text": "Интересно?", "question-0-kind": "yes_no",
            "question-0-required": "on", "question-1-order": "2", "question-1-text": "Сколько?",
            "question-1-kind": "choice", "question-1-options": "один"}
    resp = c.post(reverse("marketing:callscript_add"), data)
    assert resp.status_code == 400  # a choice needs two options
    data["question-1-options"] = "один\nдва"
    assert c.post(reverse("marketing:callscript_add"), data).status_code == 302
    script = CallScript.objects.get()
    assert [q.text for q in script.live_questions()] == ["Интересно?", "Сколько?"]
    client = CounterpartyFactory(main_manager=manager)
    phone(client, "+74951110090")
    group = MailingGroup.objects.create(name="Группа")
    GroupMember.objects.create(group=group, counterparty=client)
    GroupMember.objects.create(group=group, counterparty=CounterpartyFactory())  # no phone
    resp = c.post(reverse("marketing:calllist_add"), {
        "name": "Обзвон", "script": script.pk, "group": group.pk, "state": "active", "operators": [manager.pk],
        "max_attempts": 3, "retry_minutes": 120}, follow=True)
    assert resp.status_code == 200
    call_list = CallList.objects.get()
    assert call_list.entries.count() == 1 and call_list.skipped == 1
    page = resp.content.decode()
    assert 'data-testid="call-progress"' in page and "+74951110090" in page
    assert client_for(manager).get(reverse("marketing:calllist_add")).status_code == 403


def test_the_operator_screen_takes_a_call_and_saves_its_result(manager, client_for):
    script, (need, yes_no, _choice) = make_script()
    mine = CounterpartyFactory(name="Мой клиент", main_manager=manager)
    phone(mine, "+74951110100")
    call_list = filled(script, [mine], manager)
    call_list.operators.add(manager)
    c = client_for(manager)
    page = c.get(reverse("marketing:calllist_next", args=[call_list.pk])).content.decode()
    entry = CallListEntry.objects.get()
    assert entry.state == State.IN_PROGRESS and 'href="tel:+74951110100"' in page and "Кто отвечает?" in page
    url = reverse("marketing:calllistentry_result", args=[entry.pk])
    resp = c.post(url, {"result": "reached"})
    assert resp.status_code == 400 and "Кто отвечает?" in resp.content.decode()
    resp = c.post(url, {"result": "call_back", "call_back_at": "2000-01-01T10:00"})
    assert resp.status_code == 400 and 'data-testid="call-back-error"' in resp.content.decode()
    resp = c.post(url, {"result": "reached", f"q_{need.pk}": "Директор", f"q_{yes_no.pk}": "yes"})
    assert resp.status_code == 302 and resp.url == reverse("marketing:calllist_next", args=[call_list.pk])
    entry.refresh_from_db()
    assert entry.state == State.REACHED and entry.interaction.content.startswith("Кто отвечает?: Директор")
    assert 'data-testid="call-none"' in c.get(resp.url).content.decode()


def test_who_may_call(manager, teammate, quality, marketer, client_for):
    script = make_script()[0]
    mine = CounterpartyFactory(main_manager=manager)
    phone(mine, "+74951110110")
    call_list = filled(script, [mine], marketer)
    next_url = reverse("marketing:calllist_next", args=[call_list.pk])
    assert client_for(manager).get(next_url).status_code == 403  # not an operator of the list
    call_list.operators.add(manager, teammate)
    assert client_for(manager).get(next_url).status_code == 200
    assert client_for(quality).get(next_url).status_code == 403  # reads, does not call
    # The teammate calls their own clients only: nothing here for them.
    assert 'data-testid="call-none"' in client_for(teammate).get(next_url).content.decode()
    CallList.objects.filter(pk=call_list.pk).update(state=CallList.State.DONE)
    assert client_for(marketer).get(next_url).status_code == 403


def test_a_sales_manager_sees_only_their_clients_entries_and_results(manager, teammate, head, client_for, api):
    script = make_script()[0]
    mine = CounterpartyFactory(name="Мой клиент", main_manager=manager)
    theirs = CounterpartyFactory(name="Чужой клиент", main_manager=teammate)
    phone(mine, "+74951110120")
    phone(theirs, "+74951110121")
    call_list = filled(script, [mine, theirs], head)
    for _ in range(2):
        entry = call_lists.claim_next(call_list, head, now=NOW)
        call_lists.record_result(entry, head, State.REFUSED, comment=f"Отказ {entry.counterparty.name}", now=NOW)
    page = client_for(manager).get(call_list.get_absolute_url()).content.decode()
    assert "Мой клиент" in page and "Чужой клиент" not in page and "Отказ Чужой" not in page
    assert call_lists.progress(call_list, manager)["total"] == 1
    body = api(manager).get("/api/call-list-entries/", {"call_list": call_list.pk}).json()
    assert [row["counterparty_name"] for row in body["results"]] == ["Мой клиент"]
    filtered = client_for(head).get(call_list.get_absolute_url(), {"q": "Чужой"}).content.decode()
    assert "Чужой клиент" in filtered and "Мой клиент" not in filtered


# --- API ------------------------------------------------------------------------------------------

def test_calling_through_the_api(marketer, manager, api):
    script, (need, yes_no, _choice) = make_script()
    client = CounterpartyFactory(main_manager=manager)
    phone(client, "+74951110130")
    group = MailingGroup.objects.create(name="Группа")
    GroupMember.objects.create(group=group, counterparty=client)
    c = api(marketer)
    resp = c.post("/api/call-lists/", {"name": "API", "script": script.pk, "group": group.pk, "state": "active",
                                       "operators": [manager.pk]}, format="json")
    assert resp.status_code == 201, resp.json()
    list_id = resp.json()["id"]
    assert c.get(f"/api/call-lists/{list_id}/").json()["progress"]["total"] == 1
    assert c.post("/api/call-lists/", {"name": "Без источника", "script": script.pk}, format="json").json().keys() \
        >= {"segment"}
    operator = api(manager)
    taken = operator.post(f"/api/call-lists/{list_id}/next/")
    assert taken.status_code == 200 and taken.json()["state"] == "in_progress"
    url = f"/api/call-list-entries/{taken.json()['id']}/result/"
    for body, field in [({"result": "maybe"}, "result"), ({"result": "call_back"}, "call_back_at"),
                        ({"result": "reached"}, "answers"), ({"result": "reached", "answers": []}, "answers")]:
        resp = operator.post(url, body, format="json")
        assert resp.status_code == 400 and field in resp.json(), (body, resp.json())
    resp = operator.post(url, {"result": "reached", "answers": {str(need.pk): "Директор", str(yes_no.pk): "no"}},
                         format="json")
    assert resp.status_code == 200 and resp.json()["state"] == "reached"
    assert resp.json()["answers"] == {str(need.pk): "Директор", str(yes_no.pk): "no"}
    assert operator.post(f"/api/call-lists/{list_id}/next/").status_code == 204
    assert api(UserFactory(role="sales_manager")).post(f"/api/call-lists/{list_id}/next/").status_code == 403
    assert c.get(f"/api/call-scripts/{script.pk}/").json()["questions"][0]["text"] == "Кто отвечает?"


def test_the_demo_call_list_is_half_done(db):
    from core.access import Role
    from marketing import demo_calls

    admin = UserFactory(username="admin", role=Role.ADMIN, is_superuser=True)
    marketer = UserFactory(username="marketer", role=Role.MARKETER)
    group = MailingGroup.objects.create(name="Новости и акции")
    for i in range(6):
        client = CounterpartyFactory(main_manager=marketer if i % 2 else admin)
        phone(client, f"+7495111014{i}")
        GroupMember.objects.create(group=group, counterparty=client)
    assert demo_calls.load(now=NOW) == {"call_entries": 6, "calls": 3}
    assert demo_calls.load(now=NOW) == {}
    call_list = CallList.objects.get()
    progress = call_lists.progress(call_list, admin, now=NOW)
    assert progress["rows"][0]["count"] == 3  # still to call
    assert Interaction.objects.filter(type__code="outgoing_call").count() == 3
