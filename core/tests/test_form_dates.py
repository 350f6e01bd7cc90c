"""Date inputs render ISO in every UI language, so an unchanged save keeps the dates (defect 1)."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse

from clients.models import ContactPerson, Counterparty
from clients.tests.factories import ContactPersonFactory, CounterpartyFactory
from core.models import PropertyKind, PropertyTarget
from core.tests.factories import CustomPropertyFactory
from core.tests.html_forms import as_post_data, find_form, form_values

pytestmark = pytest.mark.django_db

DAY = dt.date(2022, 1, 31)
ISO = 'value="2022-01-31"'


@pytest.fixture
def client_with_dates(manager):
    CustomPropertyFactory(code="first_contact", kind=PropertyKind.DATE, target=PropertyTarget.COUNTERPARTY)
    CustomPropertyFactory(code="met", kind=PropertyKind.DATE, target=PropertyTarget.CONTACT_PERSON)
    cp = CounterpartyFactory(main_manager=manager, registered_on=DAY,
                             properties={"first_contact": DAY.isoformat()})
    person = ContactPersonFactory(counterparty=cp, birthday=DAY, linked_from=DAY, linked_to=DAY,
                                  properties={"met": DAY.isoformat()})
    return cp, person


def _open(c, lang, url):
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    page = c.get(url)
    assert page.status_code == 200
    return page.content.decode()


def _input(html, name):
    form = find_form(html)
    [el] = form.xpath(f".//input[@name='{name}']")
    return el.get("type"), el.get("value")


@pytest.mark.parametrize("lang", ["ru", "ro", "en"])
def test_client_form_renders_iso_dates(client_with_dates, manager, client_for, lang):
    cp, _person = client_with_dates
    html = _open(client_for(manager), lang, reverse("clients:counterparty_edit", args=[cp.pk]))
    assert _input(html, "registered_on") == ("date", "2022-01-31")
    assert _input(html, "prop_first_contact") == ("date", "2022-01-31")
    assert _input(html, "person-0-birthday") == ("date", "2022-01-31")  # the inline formset
    assert "31.01.2022" not in html


@pytest.mark.parametrize("lang", ["ru", "ro", "en"])
def test_contact_person_form_renders_iso_dates(client_with_dates, manager, client_for, lang):
    _cp, person = client_with_dates
    html = _open(client_for(manager), lang, reverse("clients:person_edit", args=[person.pk]))
    for name in ("birthday", "linked_from", "linked_to", "prop_met"):
        assert _input(html, name) == ("date", "2022-01-31"), name


@pytest.mark.parametrize("lang", ["ru", "ro"])
def test_changed_save_in_russian_keeps_the_dates(client_with_dates, manager, client_for, lang):
    """A real edit (the name) posted as a browser would: the dates must survive it."""
    cp, person = client_with_dates
    c = client_for(manager)
    url = reverse("clients:counterparty_edit", args=[cp.pk])
    data = as_post_data(form_values(find_form(_open(c, lang, url))))
    data["notes"] = ["Изменено"]
    assert c.post(url, data).status_code == 302
    cp = Counterparty.objects.get(pk=cp.pk)
    assert cp.notes == "Изменено"
    assert cp.registered_on == DAY and cp.properties["first_contact"] == "2022-01-31"
    assert ContactPerson.objects.get(pk=person.pk).birthday == DAY

    url = reverse("clients:person_edit", args=[person.pk])
    data = as_post_data(form_values(find_form(_open(c, lang, url))))
    data["position"] = ["Директор"]
    assert c.post(url, data).status_code == 302
    person = ContactPerson.objects.get(pk=person.pk)
    assert person.position == "Директор"
    assert person.birthday == person.linked_from == person.linked_to == DAY
    assert person.properties["met"] == "2022-01-31"


def test_datetime_inputs_render_iso(manager, client_for):
    from activities.tests.factories import TaskFactory

    task = TaskFactory(assignee=manager, author=manager,
                       deadline=dt.datetime(2022, 1, 31, 9, 30, tzinfo=dt.UTC))
    html = _open(client_for(manager), "ru", reverse("activities:task_edit", args=[task.pk]))
    input_type, value = _input(html, "deadline")
    assert input_type == "datetime-local" and value.startswith("2022-01-31T")


@pytest.mark.parametrize("value", ["0001-01-01", "1850-06-01", "9999-12-31"])
def test_dates_out_of_range_are_a_400_naming_the_field(client_with_dates, manager, client_for, value):
    """Every form's date and date-time fields are bounded centrally (core.dates via BootstrapMixin)."""
    from activities.tests.factories import TaskFactory

    cp, person = client_with_dates
    c = client_for(manager)
    url = reverse("clients:person_edit", args=[person.pk])
    data = as_post_data(form_values(find_form(_open(c, "ru", url))))
    data["birthday"] = [value]
    resp = c.post(url, data)
    assert resp.status_code == 400 and "birthday" in resp.context["form"].errors
    assert ContactPerson.objects.get(pk=person.pk).birthday == DAY

    task = TaskFactory(assignee=manager, author=manager, counterparty=cp)
    url = reverse("activities:task_edit", args=[task.pk])
    data = as_post_data(form_values(find_form(_open(c, "ru", url))))
    data["deadline"] = [f"{value}T00:00"]
    resp = c.post(url, data)
    assert resp.status_code == 400 and "deadline" in resp.context["form"].errors
