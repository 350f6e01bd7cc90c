"""REST API of interactions, tasks, reminders and the calendar: access per role, validation as
in the UI, assignment rules, locking, filters and bounded queries."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from activities.models import Interaction, InteractionType, Reminder, Task
from clients.models import CounterpartyShare
from clients.tests.factories import ContactPersonFactory, CounterpartyFactory
from core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INTERACTIONS = "/api/interactions/"
TASKS = "/api/tasks/"
REMINDERS = "/api/reminders/"
TYPES = "/api/interaction-types/"
CALENDAR = "/api/calendar/"

NOW = dt.datetime(2025, 3, 12, 10, 0, tzinfo=dt.UTC)  # a Wednesday


# --- local builders (plain ORM: the model rules under test are the API's, not a factory's) --

def make_interaction(counterparty, responsible, **kw):
    kw.setdefault("start", timezone.now() + dt.timedelta(days=1))
    return Interaction.objects.create(
        type=kw.pop("type", None) or InteractionType.by_code("meeting"), counterparty=counterparty,
        responsible=responsible, subject=kw.pop("subject", "Встреча"), **kw)


def make_task(author, assignee, counterparty=None, **kw):
    kw.setdefault("deadline", timezone.now() + dt.timedelta(days=1))
    return Task.objects.create(title=kw.pop("title", "Подготовить КП"), author=author,
                               assignee=assignee, counterparty=counterparty, **kw)


def make_reminder(user, **kw):
    kw.setdefault("remind_at", timezone.now() + dt.timedelta(hours=1))
    return Reminder.objects.create(user=user, text=kw.pop("text", "Позвонить"), **kw)


@pytest.fixture
def own(manager):
    """A counterparty of ``manager`` with a contact person."""
    cp = CounterpartyFactory(main_manager=manager, name="ООО Ромашка")
    ContactPersonFactory(counterparty=cp, last_name="Петров")
    return cp


@pytest.fixture
def foreign(teammate):
    return CounterpartyFactory(main_manager=teammate, name="ООО Чужое")


def ids(resp):
    assert resp.status_code == 200, resp.content
    return {row["id"] for row in resp.json()["results"]}


def meeting_payload(cp, **kw):
    start = timezone.now() + dt.timedelta(days=2)
    return {"type": InteractionType.by_code("meeting").pk, "subject": "Презентация витрин",
            "counterparty": cp.pk, "start": start.isoformat(),
            "end": (start + dt.timedelta(hours=1)).isoformat(), **kw}


# --- who sees what ----------------------------------------------------------------------------

def test_manager_sees_only_own_and_shared(api, manager, teammate, own, foreign):
    mine = make_interaction(own, manager)
    theirs = make_interaction(foreign, teammate)
    shared_cp = CounterpartyFactory(main_manager=teammate)
    CounterpartyShare.objects.create(counterparty=shared_cp, user=manager)
    shared = make_interaction(shared_cp, teammate)
    # Responsible for a meeting at a client of a colleague (set by a head): the manager sees it.
    assigned = make_interaction(foreign, manager)
    assert ids(api(manager).get(INTERACTIONS)) == {mine.pk, shared.pk, assigned.pk}
    assert ids(api(teammate).get(INTERACTIONS)) == {theirs.pk, shared.pk, assigned.pk}

    my_task = make_task(manager, manager, own)
    given = make_task(teammate, manager)  # a colleague's task for me
    their_task = make_task(teammate, teammate, foreign)
    assert ids(api(manager).get(TASKS)) == {my_task.pk, given.pk}
    assert ids(api(teammate).get(TASKS)) == {given.pk, their_task.pk}

    r_mine, r_theirs = make_reminder(manager, counterparty=own), make_reminder(teammate)
    assert ids(api(manager).get(REMINDERS)) == {r_mine.pk}
    assert ids(api(teammate).get(REMINDERS)) == {r_theirs.pk}


@pytest.mark.parametrize("persona", ["admin_user", "head", "sales_head", "marketer", "quality", "service"])
def test_wide_roles_see_everything(api, request, persona, manager, teammate, own, foreign):
    rows = {make_interaction(own, manager).pk, make_interaction(foreign, teammate).pk}
    tasks = {make_task(manager, manager, own).pk, make_task(teammate, teammate).pk}
    client = api(request.getfixturevalue(persona))
    assert ids(client.get(INTERACTIONS)) == rows
    assert ids(client.get(TASKS)) == tasks
    for pk in rows:
        assert client.get(f"{INTERACTIONS}{pk}/").status_code == 200


def test_teammate_gets_404_on_every_route(api, manager, teammate, own):
    client = api(teammate)
    urls = [f"{INTERACTIONS}{make_interaction(own, manager).pk}/",
            f"{TASKS}{make_task(manager, manager, own).pk}/",
            f"{REMINDERS}{make_reminder(manager, counterparty=own).pk}/"]
    for url in urls:
        assert client.get(url).status_code == 404
        assert client.patch(url, {"subject": "x", "version": 1}, format="json").status_code == 404
        assert client.put(url, {"version": 1}, format="json").status_code == 404
        assert client.delete(url).status_code == 404
        assert client.get(f"{url}history/").status_code == 404
        assert client.post(f"{url}restore/").status_code == 404
    assert Interaction.objects.count() == Task.objects.count() == Reminder.objects.count() == 1


def test_rows_of_a_trashed_client_disappear(api, manager, own):
    interaction = make_interaction(own, manager)
    task = make_task(manager, manager, own)
    own.delete()
    client = api(manager)
    assert ids(client.get(INTERACTIONS)) == set()
    assert client.get(f"{TASKS}{task.pk}/").status_code == 404
    assert client.get(f"{INTERACTIONS}{interaction.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("persona", "create", "change", "delete"),
    [
        ("admin_user", 201, 200, 204),
        ("head", 201, 200, 204),
        ("sales_head", 201, 200, 204),
        ("manager", 201, 200, 204),
        ("marketer", 201, 200, 403),
        ("quality", 403, 403, 403),
        ("service", 403, 403, 403),
    ],
)
def test_write_matrix(api, request, manager, own, persona, create, change, delete):
    user = request.getfixturevalue(persona)
    client = api(user)
    interaction = make_interaction(own, manager)
    task = make_task(manager, manager, own)

    resp = client.post(INTERACTIONS, meeting_payload(own), format="json")
    assert resp.status_code == create, resp.content
    if create == 201:
        assert resp.json()["responsible"] == user.pk  # nobody named: the author is responsible
    resp = client.post(TASKS, {"title": "Выставить счёт", "assignee": manager.pk, "counterparty": own.pk,
                               "deadline": (timezone.now() + dt.timedelta(days=3)).isoformat()},
                       format="json")
    assert resp.status_code == create, resp.content
    resp = client.post(REMINDERS, {"text": "Перезвонить", "remind_at": timezone.now().isoformat()},
                       format="json")
    assert resp.status_code == create, resp.content

    resp = client.patch(f"{INTERACTIONS}{interaction.pk}/", {"state": "done", "satisfaction": 5,
                                                            "version": 1}, format="json")
    assert resp.status_code == change, resp.content
    resp = client.patch(f"{TASKS}{task.pk}/", {"state": "done", "version": 1}, format="json")
    assert resp.status_code == change, resp.content
    if change == 200:
        assert resp.json()["completed_at"] is not None

    assert client.delete(f"{INTERACTIONS}{interaction.pk}/").status_code == delete
    assert client.delete(f"{TASKS}{task.pk}/").status_code == delete
    assert Interaction.all_objects.filter(pk=interaction.pk).exists()  # soft delete at most
    assert Task.all_objects.filter(pk=task.pk).exists()


def test_anonymous_is_refused():
    for url in (INTERACTIONS, TASKS, REMINDERS, CALENDAR):
        assert APIClient().get(url).status_code == 401


def test_interaction_types_are_admin_only_for_writes(api, manager, admin_user):
    assert api(manager).get(TYPES, {"code": "meeting"}).json()["results"][0]["code"] == "meeting"
    assert api(manager).post(TYPES, {"name": "Вебинар"}, format="json").status_code == 403
    resp = api(admin_user).post(TYPES, {"name": "Вебинар", "code": "webinar"}, format="json")
    assert resp.status_code == 201
    new = InteractionType.objects.get(code="webinar")
    resp = api(manager).post(INTERACTIONS, meeting_payload(CounterpartyFactory(main_manager=manager),
                                                           type=new.pk), format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["type_code"] == "webinar"


# --- validation: 400 naming the field -------------------------------------------------------------

def test_end_before_start(api, manager, own):
    payload = meeting_payload(own)
    payload["end"] = (timezone.now() - dt.timedelta(days=1)).isoformat()
    resp = api(manager).post(INTERACTIONS, payload, format="json")
    assert resp.status_code == 400
    assert "end" in resp.json()


@pytest.mark.parametrize(("change", "field"), [
    ({"satisfaction": 6}, "satisfaction"), ({"subject": ""}, "subject"), ({"state": "lost"}, "state"),
    ({"importance": "urgent"}, "importance"), ({"start": "tomorrow"}, "start"), ({"type": 999999}, "type"),
])
def test_invalid_interaction_fields(api, manager, own, change, field):
    resp = api(manager).post(INTERACTIONS, meeting_payload(own, **change), format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()


def test_contact_persons_must_work_for_the_counterparty(api, manager, own):
    mine = own.contact_persons.get()
    other_cp = CounterpartyFactory(main_manager=manager)
    stranger = ContactPersonFactory(counterparty=other_cp)
    client = api(manager)
    resp = client.post(INTERACTIONS, meeting_payload(own, contact_persons=[mine.pk, stranger.pk]),
                       format="json")
    assert resp.status_code == 400
    assert "contact_persons" in resp.json()
    resp = client.post(INTERACTIONS, meeting_payload(own, contact_persons=[mine.pk]), format="json")
    assert resp.status_code == 201, resp.content
    row = resp.json()
    assert row["contact_persons"] == [mine.pk]
    # Moving the interaction to another client while its persons stay behind is refused too.
    resp = client.patch(f"{INTERACTIONS}{row['id']}/", {"counterparty": other_cp.pk, "version": 1},
                        format="json")
    assert resp.status_code == 400
    assert "contact_persons" in resp.json()
    resp = client.patch(f"{INTERACTIONS}{row['id']}/", {"counterparty": other_cp.pk, "version": 1,
                                                        "contact_persons": [stranger.pk]}, format="json")
    assert resp.status_code == 200, resp.content
    assert list(Interaction.objects.get(pk=row["id"]).contact_persons.all()) == [stranger]


def test_hidden_counterparty_and_persons_are_refused(api, manager, teammate, own, foreign):
    client = api(manager)
    hidden_person = ContactPersonFactory(counterparty=foreign)
    resp = client.post(INTERACTIONS, meeting_payload(foreign), format="json")
    assert resp.status_code == 400
    assert "counterparty" in resp.json()
    resp = client.post(INTERACTIONS, meeting_payload(own, contact_persons=[hidden_person.pk]), format="json")
    assert resp.status_code == 400
    assert "contact_persons" in resp.json()
    resp = client.post(TASKS, {"title": "x", "assignee": manager.pk, "counterparty": foreign.pk,
                               "deadline": timezone.now().isoformat()}, format="json")
    assert resp.status_code == 400
    assert "counterparty" in resp.json()
    resp = client.post(REMINDERS, {"text": "x", "remind_at": timezone.now().isoformat(),
                                   "counterparty": foreign.pk}, format="json")
    assert resp.status_code == 400
    assert "counterparty" in resp.json()
    their_meeting = make_interaction(foreign, teammate)
    resp = client.post(REMINDERS, {"text": "x", "remind_at": timezone.now().isoformat(),
                                   "interaction": their_meeting.pk}, format="json")
    assert resp.status_code == 400
    assert "interaction" in resp.json()
    assert not Interaction.objects.filter(counterparty=foreign, responsible=manager).exists()
    assert not Task.objects.filter(author=manager).exists()
    assert not Reminder.objects.exists()


def test_task_validation(api, manager):
    client = api(manager)
    resp = client.post(TASKS, {"title": "x"}, format="json")
    assert resp.status_code == 400
    assert {"assignee", "deadline"} <= set(resp.json())
    inactive = UserFactory(username="gone", is_active=False)
    resp = client.post(TASKS, {"title": "x", "assignee": inactive.pk, "deadline": timezone.now().isoformat()},
                       format="json")
    assert resp.status_code == 400
    assert "assignee" in resp.json()


# --- assignment rules -------------------------------------------------------------------------------

def test_manager_cannot_make_a_colleague_responsible(api, manager, teammate, sales_head, own):
    client = api(manager)
    resp = client.post(INTERACTIONS, meeting_payload(own, responsible=teammate.pk), format="json")
    assert resp.status_code == 400
    assert "responsible" in resp.json()
    interaction = make_interaction(own, manager)
    url = f"{INTERACTIONS}{interaction.pk}/"
    resp = client.patch(url, {"responsible": teammate.pk, "version": 1}, format="json")
    assert resp.status_code == 400
    assert "responsible" in resp.json()
    assert client.patch(url, {"responsible": manager.pk, "version": 1}, format="json").status_code == 200
    # A head of sales hands the meeting over.
    resp = api(sales_head).patch(url, {"responsible": teammate.pk, "version": 2}, format="json")
    assert resp.status_code == 200
    interaction.refresh_from_db()
    assert interaction.responsible == teammate


def test_reminder_recipient_is_assign_field(api, manager, teammate, head):
    client = api(manager)
    payload = {"text": "Позвонить", "remind_at": timezone.now().isoformat()}
    resp = client.post(REMINDERS, {**payload, "user": teammate.pk}, format="json")
    assert resp.status_code == 400
    assert "user" in resp.json()
    resp = client.post(REMINDERS, payload, format="json")
    assert resp.status_code == 201
    assert resp.json()["user"] == manager.pk
    assert resp.json()["kind"] == "manual"
    assert resp.json()["delivered_at"] is None
    resp = api(head).post(REMINDERS, {**payload, "user": teammate.pk}, format="json")
    assert resp.status_code == 201
    assert Reminder.objects.get(pk=resp.json()["id"]).user == teammate


def test_reminder_of_an_interaction(api, manager, own):
    meeting = make_interaction(own, manager)
    other = CounterpartyFactory(main_manager=manager)
    client = api(manager)
    payload = {"text": "Встреча через час", "remind_at": timezone.now().isoformat(), "interaction": meeting.pk}
    resp = client.post(REMINDERS, {**payload, "counterparty": other.pk}, format="json")
    assert resp.status_code == 400
    assert "interaction" in resp.json()
    resp = client.post(REMINDERS, payload, format="json")
    assert resp.status_code == 201, resp.content
    assert (resp.json()["kind"], resp.json()["counterparty"]) == ("interaction", own.pk)
    # kind and delivered_at are the system's: sent values are ignored.
    resp = client.patch(f"{REMINDERS}{resp.json()['id']}/", {"kind": "birthday", "delivered_at": "2020-01-01T00:00Z",
                                                             "version": 1}, format="json")
    assert resp.status_code == 200
    assert (resp.json()["kind"], resp.json()["delivered_at"]) == ("interaction", None)


def test_task_author_is_the_caller_and_assignee_any_colleague(api, manager, teammate, own):
    client = api(manager)
    resp = client.post(TASKS, {"title": "Сверка", "assignee": teammate.pk, "author": teammate.pk,
                               "counterparty": own.pk, "deadline": timezone.now().isoformat()}, format="json")
    assert resp.status_code == 201, resp.content
    task = Task.objects.get(pk=resp.json()["id"])
    assert (task.author, task.assignee) == (manager, teammate)
    assert resp.json()["counterparty_name"] == "ООО Ромашка"
    # The colleague sees the task given to them (not the client) and can close it.
    colleague = api(teammate)
    row = colleague.get(f"{TASKS}{task.pk}/").json()
    assert (row["counterparty"], row["counterparty_name"]) == (own.pk, None)
    assert ids(colleague.get(TASKS)) == {task.pk}
    assert colleague.get(TASKS).json()["results"][0]["counterparty_name"] is None
    assert colleague.get(f"/api/counterparties/{own.pk}/").status_code == 404
    # Sending the row back as read (PUT) keeps the hidden client; pointing it elsewhere does not.
    elsewhere = CounterpartyFactory(main_manager=manager)
    resp = colleague.put(f"{TASKS}{task.pk}/", {**row, "counterparty": elsewhere.pk}, format="json")
    assert resp.status_code == 400
    assert "counterparty" in resp.json()
    resp = colleague.put(f"{TASKS}{task.pk}/", {**row, "title": "Сверка за март"}, format="json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["counterparty_name"] is None
    row = resp.json()
    resp = colleague.patch(f"{TASKS}{task.pk}/", {"state": "done", "author": teammate.pk,
                                                  "version": row["version"]}, format="json")
    assert resp.status_code == 200
    task.refresh_from_db()
    assert (task.state, task.author) == ("done", manager)


def test_meeting_at_a_hidden_client_can_be_worked_on(api, manager, teammate, sales_head, foreign):
    """A head makes a manager responsible for a meeting at a colleague's client."""
    person = ContactPersonFactory(counterparty=foreign)
    resp = api(sales_head).post(INTERACTIONS, meeting_payload(foreign, responsible=manager.pk,
                                                              contact_persons=[person.pk]), format="json")
    assert resp.status_code == 201, resp.content
    client = api(manager)
    row = client.get(f"{INTERACTIONS}{resp.json()['id']}/").json()
    assert (row["counterparty"], row["counterparty_name"], row["contact_persons"]) == (foreign.pk, None, [person.pk])
    resp = client.put(f"{INTERACTIONS}{row['id']}/", {**row, "state": "done", "result": "Провели"}, format="json")
    assert resp.status_code == 200, resp.content
    assert Interaction.objects.get(pk=row["id"]).result == "Провели"


# --- locking, trash, history ------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["interaction", "task"])
def test_stale_version_is_409(api, manager, sales_head, own, kind):
    if kind == "interaction":
        url, field = f"{INTERACTIONS}{make_interaction(own, manager).pk}/", "subject"
    else:
        url, field = f"{TASKS}{make_task(manager, manager, own).pk}/", "title"
    assert api(sales_head).patch(url, {field: "Сначала", "version": 1}, format="json").status_code == 200
    resp = api(manager).patch(url, {field: "Потом", "version": 1}, format="json")
    assert resp.status_code == 409
    assert resp.json()["current"][field] == "Сначала"
    assert resp.json()["current"]["version"] == 2
    resp = api(manager).patch(url, {field: "Без версии"}, format="json")
    assert resp.status_code == 400
    assert "version" in resp.json()


def test_soft_delete_restore_and_history(api, manager, own):
    interaction = make_interaction(own, manager)
    client = api(manager)
    url = f"{INTERACTIONS}{interaction.pk}/"
    assert client.patch(url, {"result": "Договорились", "state": "done", "version": 1},
                        format="json").status_code == 200
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
    assert Interaction.all_objects.get(pk=interaction.pk).deleted_at is not None
    assert client.post(f"{url}restore/").status_code == 200
    entries = client.get(f"{url}history/").json()
    assert [e["action"] for e in entries[:2]] == ["restore", "del"]
    assert any({"field": "result", "old": "—", "new": "Договорились"} in e["changes"] for e in entries)
    assert interaction.history.latest().history_user == manager


# --- filters, ordering, pagination, query counts -------------------------------------------------

@time_machine.travel(NOW, tick=False)
def test_interaction_filters(api, manager, teammate, own, sales_head):
    other = CounterpartyFactory(main_manager=manager, name="ООО Лютик")
    call = InteractionType.by_code("outgoing_call")
    past = make_interaction(own, manager, start=NOW - dt.timedelta(days=10), state="done", type=call,
                            subject="Звонок по договору")
    today = make_interaction(own, manager, start=NOW + dt.timedelta(hours=2), importance="high")
    later = make_interaction(other, manager, start=NOW + dt.timedelta(days=20), direction="in")
    head_meeting = make_interaction(other, sales_head)
    client = api(manager)

    def query(**params):
        return ids(client.get(INTERACTIONS, params))

    assert query(counterparty=own.pk) == {past.pk, today.pk}
    assert query(state="done") == {past.pk}
    assert query(type=call.pk) == query(type_code="outgoing_call") == {past.pk}
    assert query(importance="high") == {today.pk}
    assert query(direction="in") == {later.pk}
    assert query(responsible=sales_head.pk) == {head_meeting.pk}
    assert query(start_after="2025-03-12", start_before="2025-03-12") == {today.pk}
    assert query(start_after="2025-03-13") == {later.pk, head_meeting.pk}
    assert query(q="договору") == {past.pk}
    assert query(q="лютик") == {later.pk, head_meeting.pk}
    # Default order: newest first.
    rows = client.get(INTERACTIONS).json()["results"]
    assert [r["id"] for r in rows] == [later.pk, head_meeting.pk, today.pk, past.pk]
    assert [r["is_overdue"] for r in rows] == [False, False, False, False]
    resp = client.get(INTERACTIONS, {"start_after": "not a date"})
    assert resp.status_code == 400
    assert "start_after" in resp.json()


@time_machine.travel(NOW, tick=False)
def test_task_and_reminder_filters(api, manager, teammate, own):
    overdue = make_task(teammate, manager, own, deadline=NOW - dt.timedelta(days=1))
    done_late = make_task(manager, manager, deadline=NOW - dt.timedelta(days=2), state="done")
    upcoming = make_task(manager, teammate, deadline=NOW + dt.timedelta(days=5), importance="low")
    client = api(manager)

    def tasks(**params):
        return ids(client.get(TASKS, params))

    assert tasks(overdue="true") == {overdue.pk}
    assert tasks(overdue="false") == {done_late.pk, upcoming.pk}
    assert tasks(assignee=manager.pk, state="open") == {overdue.pk}
    assert tasks(author=teammate.pk) == {overdue.pk}
    assert tasks(counterparty=own.pk) == {overdue.pk}
    assert tasks(importance="low") == {upcoming.pk}
    assert tasks(deadline_after="2025-03-11", deadline_before="2025-03-11") == {overdue.pk}
    rows = client.get(TASKS).json()["results"]
    assert [r["id"] for r in rows] == [done_late.pk, overdue.pk, upcoming.pk]  # by deadline
    assert [r["is_overdue"] for r in rows] == [False, True, False]

    sent = make_reminder(manager, remind_at=NOW - dt.timedelta(hours=1), delivered_at=NOW)
    waiting = make_reminder(manager, remind_at=NOW + dt.timedelta(days=1), counterparty=own)

    def reminders(**params):
        return ids(client.get(REMINDERS, params))

    assert reminders(delivered="true") == {sent.pk}
    assert reminders(delivered="false") == {waiting.pk}
    assert reminders(remind_after="2025-03-13") == {waiting.pk}
    assert reminders(counterparty=own.pk, user=manager.pk) == {waiting.pk}


def test_cursor_pages_walk_every_row_once(api, manager, own):
    start = timezone.now()
    for i in range(7):  # equal starts in pairs: the cursor must break ties by id
        make_interaction(own, manager, start=start + dt.timedelta(hours=i // 2))
    client = api(manager)
    seen, url = [], f"{INTERACTIONS}?page_size=3"
    while url:
        body = client.get(url).json()
        seen += [r["id"] for r in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(Interaction.objects.values_list("pk", flat=True))
    assert len(seen) == 7
    seen = [r["id"] for r in client.get(INTERACTIONS, {"ordering": "start", "page_size": 100}).json()["results"]]
    assert seen == list(Interaction.objects.order_by("start", "pk").values_list("pk", flat=True))


@pytest.mark.parametrize("url", [INTERACTIONS, TASKS, REMINDERS])
def test_list_query_count_does_not_grow(api, manager, teammate, url, django_assert_max_num_queries):
    client = api(manager)
    emails = InteractionType.by_code("email")

    def make(n):
        for _ in range(n):
            cp = CounterpartyFactory(main_manager=manager)
            shared = CounterpartyFactory(main_manager=teammate)
            CounterpartyShare.objects.create(counterparty=shared, user=manager)
            person = ContactPersonFactory(counterparty=cp)
            make_interaction(cp, manager, type=emails).contact_persons.set([person])
            make_interaction(shared, teammate)
            make_task(teammate, manager, cp)
            make_reminder(manager, counterparty=cp)

    counts = []
    for n in (3, 12):
        make(n)
        with CaptureQueriesContext(connection) as ctx, django_assert_max_num_queries(6):
            rows = client.get(url, {"page_size": 100}).json()["results"]
        assert len(rows) == {INTERACTIONS: 2, TASKS: 1, REMINDERS: 1}[url] * (3 if n == 3 else 15)
        counts.append(len(ctx))
    assert counts[0] == counts[1]


# --- calendar ---------------------------------------------------------------------------------------

@pytest.fixture
def week(manager, teammate, own, foreign):
    """Events of ``manager`` around NOW (Wednesday 13:00 in Moscow)."""
    with time_machine.travel(NOW, tick=False):
        return {
            "overdue": make_interaction(own, manager, start=NOW - dt.timedelta(days=1), importance="high"),
            "today": make_interaction(own, manager, start=NOW + dt.timedelta(hours=3)),
            "later": make_interaction(own, manager, start=NOW + dt.timedelta(days=2), importance="low"),
            "done": make_interaction(own, manager, start=NOW - dt.timedelta(hours=2), state="done"),
            "task": make_task(teammate, manager, deadline=NOW + dt.timedelta(hours=5)),
            "reminder": make_reminder(manager, remind_at=NOW + dt.timedelta(hours=1), counterparty=own),
            "at_foreign": make_interaction(foreign, manager, start=NOW + dt.timedelta(hours=4)),
            "teammates": make_interaction(foreign, teammate, start=NOW + dt.timedelta(hours=1)),
        }


def events(resp):
    assert resp.status_code == 200, resp.content
    return [(e["kind"], e["id"]) for e in resp.json()["events"]]


PERIOD = {"start": "2025-03-10", "end": "2025-03-17"}


@time_machine.travel(NOW, tick=False)
def test_calendar_of_a_manager(api, manager, week):
    resp = api(manager).get(CALENDAR, PERIOD)
    w = week
    assert events(resp) == [
        ("interaction", w["overdue"].pk), ("reminder", w["reminder"].pk), ("interaction", w["today"].pk),
        ("interaction", w["at_foreign"].pk), ("task", w["task"].pk), ("interaction", w["later"].pk)]
    rows = {(e["kind"], e["id"]): e for e in resp.json()["events"]}
    overdue = rows[("interaction", w["overdue"].pk)]
    assert (overdue["status"], overdue["importance"], overdue["movable"]) == ("overdue", "high", True)
    assert overdue["counterparty"] == {"id": w["overdue"].counterparty_id, "name": "ООО Ромашка"}
    assert rows[("interaction", w["today"].pk)]["status"] == "today"
    assert rows[("interaction", w["later"].pk)]["status"] == "later"
    # Responsible for a meeting at a colleague's client: the event shows, the client does not.
    assert rows[("interaction", w["at_foreign"].pk)]["counterparty"] is None
    assert resp.json()["user"] == manager.pk

    client = api(manager)
    with_done = events(client.get(CALENDAR, {**PERIOD, "include_done": "true"}))
    assert ("interaction", w["done"].pk) in with_done
    assert events(client.get(CALENDAR, {**PERIOD, "type": "task"})) == [("task", w["task"].pk)]
    meeting_type = InteractionType.by_code("meeting").pk
    assert len(events(client.get(CALENDAR, {**PERIOD, "type": f"interaction:{meeting_type}"}))) == 4
    assert events(client.get(CALENDAR, {**PERIOD, "importance": ["high", "low"]})) == [
        ("interaction", w["overdue"].pk), ("interaction", w["later"].pk)]
    assert len(events(client.get(CALENDAR, {**PERIOD, "counterparty": w["today"].counterparty_id}))) == 4
    # Default period: today and the next six days.
    assert ("interaction", w["overdue"].pk) not in events(client.get(CALENDAR))
    assert ("interaction", w["later"].pk) in events(client.get(CALENDAR))


@pytest.mark.parametrize(("params", "field"), [
    ({"start": "2025-03-17", "end": "2025-03-10"}, "end"),
    ({"start": "2025-01-01", "end": "2026-06-01"}, "end"),
    ({"start": "someday"}, "start"),
    ({"type": "deal"}, "type"),
    ({"type": "task:3"}, "type"),
    ({"importance": "urgent"}, "importance"),
    ({"user": "me"}, "user"),
])
def test_calendar_bad_query_is_400(api, manager, params, field):
    resp = api(manager).get(CALENDAR, params)
    assert resp.status_code == 400
    assert field in resp.json()


def test_calendar_access(api, manager, teammate, head, sales_head, quality, marketer, week):
    url = f"{CALENDAR}?user={manager.pk}&start=2025-03-10&end=2025-03-17"
    assert api(manager).get(url).status_code == 200
    for outsider in (teammate, quality, marketer):
        resp = api(outsider).get(url)
        assert resp.status_code == 403, outsider
        assert "events" not in resp.json()
    for boss in (head, sales_head):
        resp = api(boss).get(url)
        assert len(events(resp)) == 6
        # They see every client: the meeting at a colleague's client names it.
        row = next(e for e in resp.json()["events"] if e["id"] == week["at_foreign"].pk)
        assert row["counterparty"]["name"] == "ООО Чужое"
    assert api(manager).get(f"{CALENDAR}?user=999999").status_code == 404


def test_team_lead_reads_a_subordinate_but_not_their_hidden_clients(api, manager, teammate, week):
    lead = UserFactory(username="lead", role="sales_manager")
    teammate.head = lead
    teammate.save()
    CounterpartyShare.objects.create(counterparty=week["teammates"].counterparty, user=lead)
    resp = api(lead).get(CALENDAR, {"user": teammate.pk, **PERIOD})
    assert events(resp) == [("interaction", week["teammates"].pk)]
    assert api(lead).get(CALENDAR, {"user": manager.pk, **PERIOD}).status_code == 403
    # The lead's own calendar stays theirs.
    assert events(api(lead).get(CALENDAR, PERIOD)) == []
    # A subordinate's task about a client the lead cannot see stays hidden.
    hidden = make_task(teammate, teammate, CounterpartyFactory(main_manager=teammate),
                       deadline=NOW + dt.timedelta(hours=2))
    assert ("task", hidden.pk) not in events(api(lead).get(CALENDAR, {"user": teammate.pk, **PERIOD}))


@time_machine.travel(NOW, tick=False)
def test_calendar_move(api, manager, teammate, quality, week):
    meeting = week["today"]
    reminder = make_reminder(manager, remind_at=meeting.start - dt.timedelta(minutes=30), interaction=meeting,
                             counterparty=meeting.counterparty)
    client = api(manager)
    body = {"kind": "interaction", "id": meeting.pk, "version": 1, "date": "2025-03-14"}
    assert api(teammate).post(f"{CALENDAR}move/", body, format="json").status_code == 404
    assert api(quality).post(f"{CALENDAR}move/", body, format="json").status_code == 403
    resp = client.post(f"{CALENDAR}move/", body, format="json")
    assert resp.status_code == 200, resp.content
    moved = dt.datetime.fromisoformat(resp.json()["time"])
    assert timezone.localtime(moved).isoformat().startswith("2025-03-14T16:00")  # same time of day
    meeting.refresh_from_db()
    reminder.refresh_from_db()
    assert meeting.start == NOW + dt.timedelta(days=2, hours=3)
    assert reminder.remind_at == meeting.start - dt.timedelta(minutes=30)
    resp = client.post(f"{CALENDAR}move/", body, format="json")  # version 1 is stale now
    assert resp.status_code == 409
    assert resp.json()["current"]["version"] == 2
    resp = client.post(f"{CALENDAR}move/", {**body, "id": week["done"].pk}, format="json")
    assert resp.status_code == 400
    resp = client.post(f"{CALENDAR}move/", {**body, "kind": "deal"}, format="json")
    assert resp.status_code == 400
    assert "kind" in resp.json()


@time_machine.travel(NOW, tick=False)
def test_calendar_query_count_does_not_grow(api, manager, own, django_assert_max_num_queries):
    client = api(manager)
    counts = []
    for n in (2, 10):
        for i in range(n):
            cp = CounterpartyFactory(main_manager=manager)
            make_interaction(cp, manager, start=NOW + dt.timedelta(hours=i + 1))
            make_task(manager, manager, cp, deadline=NOW + dt.timedelta(hours=i + 1))
            make_reminder(manager, remind_at=NOW + dt.timedelta(hours=i + 1), counterparty=cp)
        with CaptureQueriesContext(connection) as ctx, django_assert_max_num_queries(10):
            assert len(events(client.get(CALENDAR, PERIOD))) == {2: 6, 10: 36}[n]
        counts.append(len(ctx))
    assert counts[0] == counts[1]
