"""Forms never offer, accept or re-show rows outside the user's scope (defect 2).

A sales manager who posts a teammate's client id gets a 400 that names neither the client nor
its contact persons; choices and lookups are narrowed centrally by the base form; the edit view
re-checks the saved object against the user's scope before committing.
"""

import pytest
from django.urls import reverse

from activities.models import Task
from activities.tests.factories import InteractionFactory, TaskFactory, interaction_type
from clients.tests.factories import ContactPersonFactory, CounterpartyFactory
from core.tests.html_forms import as_post_data, find_form, form_values
from sales.tests.factories import DealFactory, default_stages

pytestmark = pytest.mark.django_db

SECRET_CLIENT, SECRET_PERSON, SECRET_DEAL = "ООО Тайный Клиент", "Секретова", "Тайная сделка"
FORMS = ["activities:interaction_add", "activities:task_add", "activities:reminder_add",
         "sales:deal_add", "sales:order_add"]
TEXT = {"subject": "Звонок", "title": "Дело", "text": "Напомнить"}


@pytest.fixture
def clients(manager, teammate):
    own = CounterpartyFactory(main_manager=manager, name="ООО Свой Клиент")
    ContactPersonFactory(counterparty=own, last_name="Свойский")
    foreign = CounterpartyFactory(main_manager=teammate, name=SECRET_CLIENT)
    person = ContactPersonFactory(counterparty=foreign, last_name=SECRET_PERSON)
    DealFactory(counterparty=foreign, title=SECRET_DEAL, responsible=teammate)
    return own, foreign, person


def _form_data(c, url):
    """What the empty form posts, with its required fields filled in."""
    data = as_post_data(form_values(find_form(c.get(url).content.decode(), has_field="counterparty")))
    required = {**TEXT, "type": str(interaction_type("meeting").pk), "stage": str(default_stages()[0].pk),
                "assignee": data.get("assignee", [""])[0]}
    data.update({name: [value] for name, value in required.items() if name in data and not data[name][0]})
    return data


def _assert_no_leak(html):
    for secret in (SECRET_CLIENT, SECRET_PERSON, SECRET_DEAL):
        assert secret not in html


@pytest.mark.parametrize("url_name", FORMS)
@pytest.mark.parametrize("typed", ["{pk}", "{pk} · x"])
def test_teammates_client_is_refused_without_showing_it(clients, manager, client_for, url_name, typed):
    _own, foreign, person = clients
    c = client_for(manager)
    url = reverse(url_name)
    data = _form_data(c, url)
    data["counterparty"] = [typed.format(pk=foreign.pk)]
    if url_name == "activities:interaction_add":
        data["contact_persons"] = [str(person.pk)]
    resp = c.post(url, data)
    assert resp.status_code == 400
    assert "counterparty" in resp.context["form"].errors
    _assert_no_leak(resp.content.decode())


@pytest.mark.parametrize("url_name", FORMS)
def test_own_client_is_accepted(clients, manager, client_for, url_name):
    own, _foreign, _person = clients
    c = client_for(manager)
    url = reverse(url_name)
    data = _form_data(c, url)
    data["counterparty"] = [str(own.pk)]
    resp = c.post(url, data)
    assert resp.status_code == 302, resp.context["form"].errors if resp.context else resp
    _assert_no_leak(c.get(url).content.decode())


def test_editing_own_interaction_cannot_move_it_to_a_teammates_client(clients, manager, client_for):
    own, foreign, person = clients
    item = InteractionFactory(counterparty=own, responsible=manager, type=interaction_type("meeting"))
    c = client_for(manager)
    url = reverse("activities:interaction_edit", args=[item.pk])
    data = as_post_data(form_values(find_form(c.get(url).content.decode())))
    data.update(counterparty=[str(foreign.pk)], contact_persons=[str(person.pk)])
    resp = c.post(url, data)
    assert resp.status_code == 400
    _assert_no_leak(resp.content.decode())
    item.refresh_from_db()
    assert item.counterparty_id == own.pk


def test_huge_client_id_is_a_form_error(clients, manager, client_for):
    c = client_for(manager)
    url = reverse("activities:interaction_add")
    data = _form_data(c, url)
    data["counterparty"] = [str(2**63)]
    resp = c.post(url, data)
    assert resp.status_code == 400 and "counterparty" in resp.context["form"].errors


def test_choices_of_any_scoped_model_are_narrowed_centrally(clients, manager, client_for):
    """A form that narrows nothing itself still offers only the user's rows: the base form does it."""
    from activities.models import Interaction
    from core.forms import BaseModelForm

    class PlainForm(BaseModelForm):
        class Meta:
            model = Interaction
            fields = ["counterparty"]

    offered = [cp.name for cp in PlainForm(user=manager).fields["counterparty"].queryset]
    assert offered == ["ООО Свой Клиент"]
    interaction = client_for(manager).get(
        reverse("activities:interaction_add") + f"?counterparty={clients[0].pk}").content.decode()
    assert "Свойский" in interaction  # the own client's persons are offered


def test_saved_object_is_checked_against_the_scope(manager, teammate, head, client_for):
    """A manager who hands a task they only receive to a teammate would lose it: refused, rolled back."""
    task = TaskFactory(author=head, assignee=manager, counterparty=None)
    c = client_for(manager)
    url = reverse("activities:task_edit", args=[task.pk])
    data = as_post_data(form_values(find_form(c.get(url).content.decode())))
    data["assignee"] = [str(teammate.pk)]
    history = task.history.count()
    resp = c.post(url, data)
    assert resp.status_code == 403
    task = Task.objects.get(pk=task.pk)
    assert task.assignee == manager and task.history.count() == history
