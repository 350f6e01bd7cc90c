"""Complaints: deadlines on the working calendar, the state flow, the closing call, overdue
notices (once), access (quality specialists handle all clients' complaints, managers see their
own clients'), the API and the card tab."""

import datetime as dt

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from activities.models import Interaction, Notification
from clients.tests.factories import CounterpartyFactory
from core.tests.factories import UserFactory
from sales.tests.factories import DealFactory
from service import complaints, tasks
from service.models import Complaint, ComplaintTask, ComplaintType
from service.tests.factories import ComplaintFactory, ComplaintTaskFactory, complaint_type, department

pytestmark = pytest.mark.django_db


def local(*args):
    return timezone.make_aware(dt.datetime(*args))


# --- Deadlines ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("received", "expected"), [
    # Friday → Mon, Tue, (Wed 4 Nov is Unity Day) Thu: across a weekend and a public holiday.
    ((2026, 10, 30, 10, 0), (2026, 11, 5, 10, 0)),
    # Saturday: counting starts on Monday at the start of the working day.
    ((2026, 10, 31, 15, 0), (2026, 11, 6, 9, 0)),
    # An ordinary week.
    ((2026, 11, 9, 11, 30), (2026, 11, 12, 11, 30)),
])
def test_default_deadline_is_three_working_days_on_the_calendar(received, expected):
    with time_machine.travel(local(2026, 11, 20, 12, 0), tick=False):
        complaint = ComplaintFactory(counterparty=CounterpartyFactory(), received_at=local(*received))
    assert timezone.localtime(complaint.deadline) == local(*expected)
    assert complaint.number == f"C-{complaint.pk:06d}"


def test_deadline_follows_the_type_and_stays_editable():
    kind = complaint_type("documents")
    kind.deadline_days = 5
    kind.save()
    complaint = ComplaintFactory(counterparty=CounterpartyFactory(), type=kind, received_at=local(2026, 11, 9, 10))
    assert timezone.localtime(complaint.deadline) == local(2026, 11, 16, 10)
    complaint.deadline = local(2026, 11, 20, 18)
    complaint.save()
    complaint.refresh_from_db()
    assert timezone.localtime(complaint.deadline) == local(2026, 11, 20, 18)


def test_builtin_reference_rows_exist_and_are_translated():
    assert set(ComplaintType.objects.values_list("code", flat=True)) >= {
        "quality", "delivery", "installation", "service", "documents", "staff"}
    assert all(t.deadline_days == 3 for t in ComplaintType.objects.all())
    from django.utils import translation

    with translation.override("ru"):
        assert str(complaint_type("delivery")) == "Доставка"
        assert str(department("legal")) == "Юридический отдел"


# --- State flow ---------------------------------------------------------------------------------


def test_transitions_are_validated(quality):
    complaint = ComplaintFactory(counterparty=CounterpartyFactory())
    with pytest.raises(ValidationError) as err:
        complaints.change_state(complaint, Complaint.State.CLOSED, quality)
    assert "state" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        complaints.change_state(complaint, Complaint.State.DECIDED, quality)
    assert "decision" in err.value.message_dict
    assert Complaint.objects.get(pk=complaint.pk).state == Complaint.State.NEW
    complaints.change_state(complaint, Complaint.State.IN_PROGRESS, quality)
    complaints.change_state(complaint, Complaint.State.DECIDED, quality, decision="Replace the compressor.")
    assert complaint.decided_at is not None and complaint.closed_at is None
    with pytest.raises(ValidationError) as err:  # not before the client has been called
        complaints.change_state(complaint, Complaint.State.CLOSED, quality)
    assert "closing call" in str(err.value.message_dict["state"])
    complaints.record_closing_call(complaint, quality, "Satisfied", close=True)
    complaint.refresh_from_db()
    assert complaint.state == Complaint.State.CLOSED and complaint.closed_at is not None
    assert complaint.closing_call.result == "Satisfied"
    assert complaint.history.count() >= 4
    complaints.change_state(complaint, Complaint.State.IN_PROGRESS, quality)  # reopened, then closed again:
    complaints.change_state(complaint, Complaint.State.DECIDED, quality)
    complaints.change_state(complaint, Complaint.State.CLOSED, quality)  # the call is on record


def test_state_form_on_the_card_shows_a_field_error(client_for, quality):
    complaint = ComplaintFactory(counterparty=CounterpartyFactory())
    c = client_for(quality)
    url = reverse("service:complaint_state", args=[complaint.pk])
    resp = c.post(url, {"state": Complaint.State.DECIDED, "decision": ""})
    assert resp.status_code == 400
    assert "without one" in resp.content.decode()
    resp = c.post(url, {"state": Complaint.State.DECIDED, "decision": "Refund"})
    assert resp.status_code == 302
    assert Complaint.objects.get(pk=complaint.pk).state == Complaint.State.DECIDED


def test_links_must_belong_to_the_client():
    complaint = ComplaintFactory(counterparty=CounterpartyFactory())
    complaint.deal = DealFactory(counterparty=CounterpartyFactory(), responsible=UserFactory())
    with pytest.raises(ValidationError) as err:
        complaint.full_clean()
    assert "deal" in err.value.message_dict


# --- Closing call and subtasks ------------------------------------------------------------------


def test_closing_call_is_an_interaction_based_on_the_complaint(client_for, quality):
    complaint = ComplaintFactory(counterparty=CounterpartyFactory(), responsible=quality)
    c = client_for(quality)
    assert c.post(reverse("service:complaint_call", args=[complaint.pk]), {"call-result": ""}).status_code == 400
    resp = c.post(reverse("service:complaint_call", args=[complaint.pk]),
                  {"call-result": "The client is satisfied", "call-satisfaction": "5"})
    assert resp.status_code == 302
    call = Interaction.objects.get(basis_type=ContentType.objects.get_for_model(Complaint), basis_id=complaint.pk)
    assert call.type.code == "outgoing_call" and call.state == Interaction.State.DONE and call.satisfaction == 5
    assert Complaint.objects.get(pk=complaint.pk).closing_call_id == call.pk
    assert "The client is satisfied" in c.get(complaint.get_absolute_url()).content.decode()


def test_a_decided_complaint_is_closed_by_its_closing_call(client_for, quality):
    complaint = ComplaintFactory(counterparty=CounterpartyFactory(), responsible=quality,
                                 state=Complaint.State.DECIDED, decision="Refund")
    c = client_for(quality)
    card = c.get(complaint.get_absolute_url()).content.decode()
    assert 'data-testid="to-closed"' not in card and 'name="call-close"' in card  # closing goes with the call
    resp = c.post(reverse("service:complaint_call", args=[complaint.pk]),
                  {"call-result": "Refund received", "call-close": "on"})
    assert resp.status_code == 302
    complaint.refresh_from_db()
    assert complaint.state == Complaint.State.CLOSED and complaint.closing_call.result == "Refund received"


def test_subtasks_are_added_and_completed_from_the_card(client_for, quality):
    complaint = ComplaintFactory(counterparty=CounterpartyFactory())
    c = client_for(quality)
    resp = c.post(reverse("service:complaint_task_add", args=[complaint.pk]),
                  {"task-department": department("legal").pk, "task-description": "Check the contract"})
    assert resp.status_code == 302
    task = ComplaintTask.objects.get(complaint=complaint)
    assert task.deadline == complaint.deadline  # the complaint's unless given
    assert c.post(reverse("service:complaint_task_add", args=[complaint.pk]),
                  {"task-description": "No department"}).status_code == 400
    resp = c.post(reverse("service:complainttask_done", args=[task.pk]), {"done-result": "Contract is fine"})
    assert resp.status_code == 302
    task.refresh_from_db()
    assert task.done_at is not None and task.result == "Contract is fine"


# --- Overdue notices ----------------------------------------------------------------------------


def test_overdue_notice_is_sent_once(quality, head):
    now = local(2026, 11, 20, 12)
    with time_machine.travel(now, tick=False):
        complaint = ComplaintFactory(counterparty=CounterpartyFactory(), responsible=quality,
                                     received_at=local(2026, 11, 10, 10))
        ComplaintTaskFactory(complaint=complaint, responsible=quality, deadline=local(2026, 11, 19, 10))
        ComplaintTaskFactory(complaint=complaint, deadline=local(2026, 11, 19, 10), done_at=now, result="ok")
        ComplaintFactory(counterparty=CounterpartyFactory(), responsible=quality,
                         received_at=local(2026, 11, 19, 10))  # not yet due
        assert complaints.notices_due()
        assert complaints.notify_overdue() == 2  # the complaint and its open subtask
        assert complaints.notify_overdue() == 0
        assert tasks.complaint_overdue_notices.call() == 0
        assert not complaints.notices_due()
    notes = Notification.objects.filter(source__startswith="complaint")
    assert sorted((n.user.username, n.source.split(":")[0]) for n in notes) == [
        ("head", "complaint-overdue"), ("head", "complaint-task-overdue"),
        ("quality", "complaint-overdue"), ("quality", "complaint-task-overdue")]
    assert all(n.url == complaint.get_absolute_url() for n in notes)


def test_a_moved_deadline_that_passes_again_is_a_new_notice(quality):
    complaint = ComplaintFactory(counterparty=CounterpartyFactory(), responsible=quality,
                                 received_at=local(2026, 11, 2, 10))
    with time_machine.travel(local(2026, 11, 20, 12), tick=False):
        assert complaints.notify_overdue() == 1
    complaint.refresh_from_db()
    complaint.deadline = local(2026, 11, 23, 10)
    complaint.save()
    with time_machine.travel(local(2026, 11, 24, 12), tick=False):
        assert complaints.notify_overdue() == 1
        assert complaints.notify_overdue() == 0
    assert Notification.objects.filter(user=quality).count() == 2


def test_the_periodic_task_is_registered():
    from core import registry

    assert any(p.task is tasks.complaint_overdue_notices for p in registry.periodic_tasks)


# --- Access -------------------------------------------------------------------------------------


def test_quality_handles_complaints_of_all_clients_but_cannot_edit_deals(client_for, api, quality, manager):
    client = CounterpartyFactory(main_manager=manager)
    complaint = ComplaintFactory(counterparty=client)
    deal = DealFactory(counterparty=client, responsible=manager)
    c = client_for(quality)
    assert c.get(reverse("service:complaint_list")).status_code == 200
    resp = c.post(reverse("service:complaint_state", args=[complaint.pk]), {"state": "in_progress"})
    assert resp.status_code == 302
    assert Complaint.objects.get(pk=complaint.pk).state == Complaint.State.IN_PROGRESS
    resp = c.post(reverse("service:complaint_add"), {
        "type": complaint_type().pk, "counterparty": client.pk, "subject": "Noise", "channel": "phone",
        "received_at": "2026-11-09T10:00", "state": "new"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    assert Complaint.objects.filter(subject="Noise", counterparty=client).exists()
    # …but deals stay read-only for them.
    assert c.get(reverse("sales:deal_edit", args=[deal.pk])).status_code in (403, 404)
    assert api(quality).patch(f"/api/deals/{deal.pk}/", {"title": "x", "version": deal.version},
                              format="json").status_code in (403, 404)
    resp = api(quality).patch(f"/api/complaints/{complaint.pk}/", {"subject": "Loud noise",
                                                                      "version": Complaint.objects.get(
                                                                          pk=complaint.pk).version}, format="json")
    assert resp.status_code == 200, resp.content


def test_sales_manager_sees_complaints_of_their_own_clients_only(client_for, api, manager, teammate):
    mine = ComplaintFactory(counterparty=CounterpartyFactory(main_manager=manager), subject="Mine-xyzzy")
    theirs = ComplaintFactory(counterparty=CounterpartyFactory(main_manager=teammate), subject="Theirs-plugh")
    c = client_for(manager)
    page = c.get(reverse("service:complaint_list")).content.decode()
    assert "Mine-xyzzy" in page and "Theirs-plugh" not in page
    assert c.get(theirs.get_absolute_url()).status_code == 404
    assert c.get(mine.get_absolute_url()).status_code == 200
    ids = [row["id"] for row in api(manager).get("/api/complaints/").json()["results"]]
    assert ids == [mine.pk]
    assert api(manager).get(f"/api/complaints/{theirs.pk}/").status_code == 404
    assert c.get(reverse("service:card_complaints", args=[theirs.counterparty_id])).status_code == 404
    assert "Mine-xyzzy" in c.get(reverse("service:card_complaints", args=[mine.counterparty_id])).content.decode()


def test_api_validates_transitions(api, quality):
    complaint = ComplaintFactory(counterparty=CounterpartyFactory())
    resp = api(quality).patch(f"/api/complaints/{complaint.pk}/", {"state": "closed", "version": complaint.version},
                              format="json")
    assert resp.status_code == 400 and "state" in resp.json()
    resp = api(quality).patch(f"/api/complaints/{complaint.pk}/", {"state": "decided", "version": complaint.version},
                              format="json")
    assert resp.status_code == 400 and "decision" in resp.json()
    resp = api(quality).post("/api/complaint-tasks/", {
        "complaint": complaint.pk, "department": department().pk, "description": "Check"}, format="json")
    assert resp.status_code == 201, resp.content
    assert api(quality).get("/api/complaint-types/").status_code == 200


def test_api_closes_a_complaint_with_its_closing_call(api, quality, manager):
    complaint = ComplaintFactory(counterparty=CounterpartyFactory(main_manager=manager), state=Complaint.State.DECIDED,
                                 decision="Refund")
    url = f"/api/complaints/{complaint.pk}/closing-call/"
    resp = api(quality).patch(f"/api/complaints/{complaint.pk}/", {"state": "closed", "version": complaint.version},
                              format="json")
    assert resp.status_code == 400 and "closing call" in str(resp.json()["state"])
    assert api(quality).post(url, {"result": ""}, format="json").status_code == 400
    assert api(quality).post(url, {"result": "Fine", "satisfaction": 9}, format="json").status_code == 400
    resp = api(quality).post(url, {"result": "Refund received", "satisfaction": 5, "close": True}, format="json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["state"] == "closed" and resp.json()["closing_call"]
    other = ComplaintFactory(counterparty=CounterpartyFactory(), state=Complaint.State.DECIDED, decision="x")
    assert api(manager).post(f"/api/complaints/{other.pk}/closing-call/", {"result": "x"},
                             format="json").status_code == 404  # another manager's client
    assert api(quality).post("/api/complaint-types/", {"name": "X"}, format="json").status_code == 403


def test_dashboard_tile_counts_open_and_overdue(head):
    from service.complaint_ui import complaint_counts

    now = local(2026, 11, 20, 12)
    ComplaintFactory(counterparty=CounterpartyFactory(), received_at=local(2026, 11, 2, 10))  # overdue
    ComplaintFactory(counterparty=CounterpartyFactory(), received_at=local(2026, 11, 19, 10))
    ComplaintFactory(counterparty=CounterpartyFactory(), received_at=local(2026, 11, 2, 10),
                     state=Complaint.State.REJECTED, decision="No grounds")
    assert complaint_counts(head, now) == {"open_complaints": 2, "overdue_complaints": 1}


def test_list_filters(client_for, head):
    ComplaintFactory(counterparty=CounterpartyFactory(), subject="Late-one", received_at=local(2026, 1, 5, 10))
    ComplaintFactory(counterparty=CounterpartyFactory(), subject="Fresh-one", received_at=timezone.now())
    c = client_for(head)
    page = c.get(reverse("service:complaint_list"), {"overdue": "true"}).content.decode()
    assert "Late-one" in page and "Fresh-one" not in page
    page = c.get(reverse("service:complaint_list"), {"received_from": "2026-01-01", "received_to": "2026-01-31"})
    assert "Late-one" in page.content.decode()


def test_open_states_match_the_partial_index():
    from service.models.complaints import OPEN_STATE_VALUES

    assert tuple(Complaint.OPEN_STATES) == OPEN_STATE_VALUES


def test_the_overdue_list_walks_the_open_index_instead_of_sorting(head, client_for):
    """The overdue filter must repeat the partial index's condition literally: with bound values
    SQLite sorts every open complaint for each page (~300 ms at 100 000 complaints)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner: a bound IN list misses the partial index (PostgreSQL binds on the client)")
    first = ComplaintFactory(counterparty=CounterpartyFactory(), received_at=local(2026, 1, 5, 10),
                             deadline=local(2026, 1, 8, 10))
    states = [Complaint.State.CLOSED] * 10 + [Complaint.State.NEW, Complaint.State.IN_PROGRESS,
                                              Complaint.State.DECIDED, Complaint.State.REJECTED]
    Complaint.objects.bulk_create([  # the bench's mix of states, so that ANALYZE sees a real table
        Complaint(number=f"T-{i}", type_id=first.type_id, counterparty_id=first.counterparty_id, subject="x",
                  state=states[i % len(states)], received_at=local(2026, 1, 1) + dt.timedelta(hours=i),
                  deadline=local(2026, 1, 4) + dt.timedelta(hours=i)) for i in range(3000)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    queries = []

    def record(execute, sql, params, many, context):
        queries.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        page = client_for(head).get(reverse("service:complaint_list"), {"overdue": "true"})
    assert page.status_code == 200
    sql, params = next((sql, params) for sql, params in queries
                       if 'FROM "service_complaint"' in sql and "ORDER BY" in sql)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "TEMP B-TREE" not in plan, plan  # walks an index in list order, stops after a page
