"""Interactions, tasks and reminders in the UI: card quick actions, lists, access."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from activities.models import Interaction, InteractionType, Reminder, Task
from clients.tests.factories import ContactPersonFactory, CounterpartyFactory

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 3, 11, 10, 0, tzinfo=datetime.UTC)


def make_interaction(counterparty, responsible, **kw):
    defaults = {"type": InteractionType.by_code("meeting"), "subject": "Встреча", "start": timezone.now()}
    return Interaction.objects.create(counterparty=counterparty, responsible=responsible, **{**defaults, **kw})


def local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


@time_machine.travel(NOW, tick=False)
def test_log_a_call_from_the_card(manager, client_for):
    cp = CounterpartyFactory(main_manager=manager)
    person = ContactPersonFactory(counterparty=cp)
    c = client_for(manager)
    url = reverse("activities:interaction_add") + f"?counterparty={cp.pk}&type=outgoing_call&state=done"
    form = c.get(url).context["form"]
    assert form.initial["type"] == InteractionType.by_code("outgoing_call").pk
    assert form.initial["state"] == "done" and form.initial["counterparty"] == cp.pk
    resp = c.post(url, {
        "type": form.initial["type"], "direction": "out", "state": "done", "importance": "normal",
        "subject": "Уточнили заказ", "counterparty": cp.pk, "contact_persons": [person.pk],
        "start": local(NOW), "duration_minutes": "10", "result": "Перезвонить в пятницу", "satisfaction": "4",
    })
    assert resp.status_code == 302
    assert resp.url == cp.get_absolute_url() + "?tab=interactions"
    call = Interaction.objects.get()
    assert call.responsible == manager and list(call.contact_persons.all()) == [person]
    assert call.history.first().history_user == manager


def test_person_of_another_client_and_foreign_client_rejected(manager, teammate, client_for):
    cp = CounterpartyFactory(main_manager=manager)
    stranger = ContactPersonFactory(counterparty=CounterpartyFactory(main_manager=manager))
    foreign = CounterpartyFactory(main_manager=teammate)
    c = client_for(manager)
    data = {"type": InteractionType.by_code("meeting").pk, "direction": "out", "state": "planned",
            "importance": "normal", "subject": "X", "counterparty": cp.pk,
            "contact_persons": [stranger.pk], "start": "2026-03-12T10:00"}
    resp = c.post(reverse("activities:interaction_add"), data)
    assert resp.status_code == 400 and "contact_persons" in resp.context["form"].errors
    resp = c.post(reverse("activities:interaction_add"), {**data, "counterparty": foreign.pk, "contact_persons": []})
    assert resp.status_code == 400 and "counterparty" in resp.context["form"].errors
    assert c.get(reverse("activities:interaction_add") + f"?counterparty={foreign.pk}").status_code == 404
    assert not Interaction.objects.exists()


def test_end_before_start_is_an_error(manager, client_for):
    cp = CounterpartyFactory(main_manager=manager)
    resp = client_for(manager).post(reverse("activities:interaction_add"), {
        "type": InteractionType.by_code("meeting").pk, "direction": "out", "state": "planned",
        "importance": "normal", "subject": "X", "counterparty": cp.pk,
        "start": "2026-03-12T10:00", "end": "2026-03-12T09:00"})
    assert resp.status_code == 400 and "end" in resp.context["form"].errors


@time_machine.travel(NOW, tick=False)
def test_card_tab_planned_first_then_history_newest_first(manager, teammate, client_for):
    cp = CounterpartyFactory(main_manager=manager)
    day = datetime.timedelta(days=1)
    make_interaction(cp, manager, subject="old", state="done", start=NOW - 5 * day)
    make_interaction(cp, manager, subject="recent", state="done", start=NOW - day)
    make_interaction(cp, manager, subject="later", start=NOW + 3 * day)
    make_interaction(cp, manager, subject="soon", start=NOW + day)
    resp = client_for(manager).get(reverse("activities:card_interactions", args=[cp.pk]))
    assert [i.subject for i in resp.context["planned"]] == ["soon", "later"]
    assert [i.subject for i in resp.context["history"]] == ["recent", "old"]
    assert 'data-testid="plan-meeting"' in resp.content.decode()
    assert client_for(teammate).get(reverse("activities:card_interactions", args=[cp.pk])).status_code == 404


def test_interaction_list_is_scoped(manager, teammate, head, client_for):
    mine = make_interaction(CounterpartyFactory(main_manager=manager), manager, subject="mine")
    theirs = make_interaction(CounterpartyFactory(main_manager=teammate), teammate, subject="theirs")
    # responsible for a meeting at another manager's client: sees that meeting, not the rest
    helping = make_interaction(theirs.counterparty, manager, subject="helping")
    rows = client_for(manager).get(reverse("activities:interaction_list")).context["table"].rows
    assert {i.subject for i in rows} == {mine.subject, helping.subject}
    rows = client_for(head).get(reverse("activities:interaction_list")).context["table"].rows
    assert len(list(rows)) == 3
    assert client_for(teammate).get(reverse("activities:interaction_edit", args=[mine.pk])).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_my_tasks_shows_open_tasks_assigned_to_me_with_overdue_mark(manager, head, client_for):
    Task.objects.create(title="late", author=head, assignee=manager, deadline=NOW - datetime.timedelta(hours=1))
    Task.objects.create(title="next", author=head, assignee=manager, deadline=NOW + datetime.timedelta(days=1))
    Task.objects.create(title="done", author=head, assignee=manager, deadline=NOW, state="done")
    Task.objects.create(title="other", author=head, assignee=head, deadline=NOW)
    resp = client_for(manager).get(reverse("activities:task_list"))
    assert [t.title for t in resp.context["table"].rows] == ["late", "next"]
    assert "overdue" in resp.content.decode()


def test_assigning_a_task_to_someone_else_notifies_them(manager, head, client_for):
    from activities.models import Notification

    resp = client_for(head).post(reverse("activities:task_add"), {
        "title": "Рассчитать цену", "assignee": manager.pk, "deadline": "2026-03-12T12:00",
        "importance": "high", "state": "open", "description": ""})
    assert resp.status_code == 302
    task = Task.objects.get()
    assert task.author == head
    assert Notification.objects.filter(user=manager).count() == 1


def test_sales_manager_reminder_is_always_their_own(manager, teammate, client_for):
    resp = client_for(manager).post(reverse("activities:reminder_add"), {
        "text": "Позвонить", "remind_at": "2026-03-12T12:00", "user": teammate.pk})
    assert resp.status_code == 302
    assert Reminder.objects.get().user == manager
    assert client_for(teammate).get(reverse("activities:reminder_list")).context["table"].rows == []


def test_stale_interaction_edit_is_refused(manager, client_for):
    cp = CounterpartyFactory(main_manager=manager)
    item = make_interaction(cp, manager, subject="first")
    data = {"type": item.type_id, "direction": "out", "state": "planned", "importance": "normal",
            "subject": "mine", "counterparty": cp.pk, "start": local(item.start), "version": item.version}
    item.subject = "theirs"
    item.save()
    resp = client_for(manager).post(reverse("activities:interaction_edit", args=[item.pk]), data)
    assert resp.status_code == 409
    item.refresh_from_db()
    assert item.subject == "theirs"


@pytest.mark.parametrize("rows", [2, 20])
def test_lists_use_bounded_queries(manager, head, client_for, django_assert_max_num_queries, rows):
    for _ in range(rows):
        cp = CounterpartyFactory(main_manager=manager)
        make_interaction(cp, manager)
        Task.objects.create(title="t", author=head, assignee=manager, deadline=timezone.now(), counterparty=cp)
    c = client_for(manager)
    for name in ("interaction_list", "task_list", "reminder_list"):
        with django_assert_max_num_queries(14):
            assert c.get(reverse(f"activities:{name}")).status_code == 200


@time_machine.travel(NOW, tick=False)
def test_interaction_list_opens_on_today_and_the_nearest_items(manager, client_for):
    cp = CounterpartyFactory(main_manager=manager)
    day = datetime.timedelta(days=1)
    for subject, start in [("far future", NOW + 400 * day), ("yesterday", NOW - day),
                           ("this morning", NOW - datetime.timedelta(hours=2)), ("tomorrow", NOW + day)]:
        make_interaction(cp, manager, subject=subject, start=start)
    for i in range(30):  # enough for a second page
        make_interaction(cp, manager, subject=f"later {i:02}", start=NOW + (10 + i) * day)
    c = client_for(manager)
    url = reverse("activities:interaction_list")
    resp = c.get(url, {"per_page": 25})
    subjects = [i.subject for i in resp.context["table"].rows]
    assert subjects[:3] == ["this morning", "tomorrow", "later 00"] and "yesterday" not in subjects
    assert resp.context["filterset"].form["start_after"].value() == "2026-03-11"  # shown, can be cleared
    # keyset pages keep the order and the default filter
    page2 = c.get(url, {"per_page": 25, "cursor": resp.context["page"].next_cursor})
    subjects2 = [i.subject for i in page2.context["table"].rows]
    assert subjects2 == [f"later {i:02}" for i in range(23, 30)] + ["far future"]
    back = c.get(url, {"per_page": 25, "cursor": page2.context["page"].prev_cursor})
    assert [i.subject for i in back.context["table"].rows] == subjects
    # any filter (even an emptied date) shows every date, newest first
    everything = [i.subject for i in c.get(url, {"start_after": ""}).context["table"].rows]
    assert everything[0] == "far future" and everything[-1] == "yesterday"
