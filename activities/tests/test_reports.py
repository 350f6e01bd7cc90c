"""Reports (SPEC §3): each checked against hand-computed rows on a small fixed data set.

The clock is fixed at 2 April 2025, 12:00 Moscow time, so the default period is April 2025;
most tests ask for March 2025 explicitly. Times are local (Europe/Moscow, UTC+3): an interaction
at 00:10 on 1 April is still 31 March in UTC and must not count for March.
"""

import datetime
import io
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from activities.models import Interaction, InteractionType
from activities.services.reports import current_month
from clients.models import ContactInfo, ContactKind, Counterparty, CounterpartyShare
from clients.tests.factories import (
    ContactPersonFactory,
    CounterpartyFactory,
    GroupFactory,
    RelationshipTypeFactory,
)

pytest_plugins = ["core.tests.browser"]
pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime.datetime(2025, 4, 2, 12, 0, tzinfo=MSK)
MARCH = {"date_from": "2025-03-01", "date_to": "2025-03-31"}

CONTACT_INFO = reverse("report", args=["contact-info"])
CONTACTS = reverse("report", args=["contacts"])
ANALYSIS = reverse("report", args=["analysis"])
WITHOUT = reverse("report", args=["without-interactions"])
LEGACY = {"activities:report_contact_info": CONTACT_INFO, "activities:report_contacts": CONTACTS,
          "activities:report_analysis": ANALYSIS, "activities:report_without_interactions": WITHOUT}
ALL_REPORTS = [CONTACT_INFO, CONTACTS, ANALYSIS, WITHOUT]


def at(month, day, hour=10, minute=0, year=2025):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=MSK)


def interaction(cp, code, start, responsible, state="done", direction="out", persons=(), result=""):
    i = Interaction.objects.create(
        type=InteractionType.by_code(code), counterparty=cp, responsible=responsible, start=start,
        state=state, direction=direction, subject=f"{code} {cp.name}", result=result)
    i.contact_persons.set(persons)
    return i


def info(cp, kind, value, person=None):
    return ContactInfo.objects.create(counterparty=cp, contact_person=person, kind=kind, value=value)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def data(clock, manager, teammate):
    """The fixed data set; the expected rows in the tests below are computed from it by hand."""
    manager.first_name, manager.last_name = "Anton", "Andreev"
    manager.save()
    teammate.first_name, teammate.last_name = "Boris", "Borisov"
    teammate.save()
    vip, regular = RelationshipTypeFactory(name="VIP"), RelationshipTypeFactory(name="Regular")
    key = GroupFactory(name="Key accounts")
    key_moscow = GroupFactory(name="Moscow", parent=key)
    others = GroupFactory(name="Others")

    alpha = CounterpartyFactory(name="Alpha", main_manager=manager, relationship_type=vip, group=key_moscow)
    info(alpha, ContactKind.PHONE, "+79035236645")
    info(alpha, ContactKind.EMAIL, "alpha@example.com")
    info(alpha, ContactKind.LEGAL_ADDRESS, "Moscow, Tverskaya 1")
    info(alpha, ContactKind.ACTUAL_ADDRESS, "Moscow, Arbat 2")
    info(alpha, ContactKind.WEBSITE, "alpha.example.com")
    petrov = ContactPersonFactory(counterparty=alpha, last_name="Petrov", first_name="Pyotr")
    info(alpha, ContactKind.MOBILE, "+79161112233", person=petrov)
    ContactPersonFactory(counterparty=alpha, last_name="Sidorov").delete()  # in the trash: not counted

    beta = CounterpartyFactory(name="Beta", main_manager=manager, relationship_type=regular, group=others,
                               tax_id="")
    info(beta, ContactKind.PHONE, "+74951234567")
    ContactPersonFactory(counterparty=beta, last_name="Ivanova")  # no phone or email

    gamma = CounterpartyFactory(name="Gamma", main_manager=teammate, relationship_type=vip, group=key)
    info(gamma, ContactKind.EMAIL, "gamma@example.com")
    delta = CounterpartyFactory(name="Delta", main_manager=teammate, relationship_type=regular)
    CounterpartyShare.objects.create(counterparty=delta, user=manager)  # manager sees Delta too
    epsilon = CounterpartyFactory(name="Epsilon")  # no main manager, no relationship type
    foxtrot = CounterpartyFactory(name="Foxtrot", main_manager=manager, relationship_type=vip, group=key)
    golf = CounterpartyFactory(name="Golf", main_manager=teammate, relationship_type=vip)
    golf_person = ContactPersonFactory(counterparty=golf, last_name="Orlov")
    info(golf, ContactKind.EMAIL, "orlov@example.com", person=golf_person)
    india = CounterpartyFactory(name="India", main_manager=teammate, is_client=False, is_supplier=True)
    hotel = CounterpartyFactory(name="Hotel", main_manager=manager)

    items = SimpleNamespace(
        manager=manager, teammate=teammate, vip=vip, regular=regular, key=key, others=others,
        alpha=alpha, beta=beta, gamma=gamma, delta=delta, epsilon=epsilon, foxtrot=foxtrot, golf=golf,
        india=india, petrov=petrov,
        i1=interaction(alpha, "outgoing_call", at(3, 1, 0, 0), manager, persons=[petrov], result="Agreed"),
        i2=interaction(alpha, "meeting", at(3, 31, 23, 30), manager),  # last day, late evening: inside
        i3=interaction(alpha, "outgoing_call", at(3, 20), manager, state="planned"),
        i4=interaction(beta, "outgoing_call", at(2, 10), manager),
        i5=interaction(gamma, "incoming_call", at(3, 5), teammate, direction="in"),
        i6=interaction(delta, "email", at(3, 6), teammate),
        i7=interaction(gamma, "meeting", at(3, 7), teammate, state="cancelled"),
        # The manager called the teammate's client: not the manager's client, not in his reports.
        i8=interaction(gamma, "outgoing_call", at(3, 10), manager),
        f1=interaction(foxtrot, "outgoing_call", at(2, 28, 23, 50), manager),  # February locally
        f2=interaction(foxtrot, "outgoing_call", at(4, 1, 0, 10), manager),  # 31 March in UTC, April here
    )
    interaction(hotel, "outgoing_call", at(3, 12), manager)
    hotel.delete()  # a client in the trash is in no report
    return items


def get(http, url, /, **params):
    resp = http.get(url, params)
    assert resp.status_code == 200, resp.content[:500]
    return resp


def xlsx_rows(http, url, /, **params):
    resp = http.get(url, {**params, "export": "xlsx"})
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(resp.content)).active
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def xlsx_section(rows, caption):
    """Header and rows of one table of a multi-table export (caption, header, rows, blank line)."""
    start = next(i for i, row in enumerate(rows) if row[0] == caption) + 1
    end = next((i for i in range(start, len(rows)) if not any(rows[i])), len(rows))
    return [[v for v in row] for row in rows[start:end]]


def table(resp, key="report"):
    """The rows (dicts) of a report table as the page built them."""
    return next(t for t in resp.context["tables"] if t.key == key).rows


def chart(resp, index=0):
    return resp.context["charts"][index]["spec"]


# --- Index, navigation, period ------------------------------------------------------------------


def test_index_lists_the_four_reports_and_navbar_links_them(manager, client_for):
    c = client_for(manager)
    assert c.get(reverse("activities:report_index"))["Location"] == reverse("reports")
    resp = get(c, reverse("reports"))
    html = resp.content.decode()
    for url in ALL_REPORTS:
        assert f'href="{url}"' in html
    assert 'data-testid="nav-reports"' in html  # the navbar's Reports menu (core.navigation)


def test_old_report_urls_still_serve_the_report(manager, client_for, clock):
    c = client_for(manager)
    for name, url in LEGACY.items():
        old = get(c, reverse(name), **MARCH)
        assert old.context["report"].get_url() == url
        assert table(old) == table(get(c, url, **MARCH))


def test_reports_need_login(client):
    for url in [reverse("activities:report_index"), *ALL_REPORTS]:
        assert client.get(url).status_code == 302


def test_current_month():
    assert current_month(datetime.date(2025, 2, 14)).date_to == datetime.date(2025, 2, 28)
    assert current_month(datetime.date(2024, 12, 31)).date_from == datetime.date(2024, 12, 1)
    assert current_month(datetime.date(2024, 12, 31)).date_to == datetime.date(2024, 12, 31)


def test_period_ending_before_it_starts_is_an_error(admin_user, client_for, clock):
    c = client_for(admin_user)
    for url in [CONTACTS, ANALYSIS, WITHOUT]:
        resp = c.get(url, {"date_from": "2025-03-31", "date_to": "2025-03-01"})
        assert resp.status_code == 400
        assert "The period ends before it starts." in resp.content.decode()
        assert "report-table" not in resp.content.decode()
        # The export is refused the same way: the page with the error, no file.
        assert "spreadsheetml" not in c.get(url, {"date_from": "2025-03-31", "date_to": "2025-03-01",
                                                  "export": "xlsx"})["Content-Type"]


# --- 1. Contact information -----------------------------------------------------------------------


def info_rows(resp):
    return [(r["name"], r["phones"], r["emails"], r["address"], r["persons"], r["percent"]) for r in table(resp)]


def summary_rows(resp):
    return [(r["manager"], r["count"], r["percent"]) for r in table(resp, "summary")]


def test_contact_info_rows_and_completeness(admin_user, client_for, data):
    resp = get(client_for(admin_user), CONTACT_INFO)
    assert info_rows(resp) == [
        ("Alpha", "+7 903 523-66-45", "alpha@example.com", "Moscow, Tverskaya 1", 1, 100.0),
        ("Beta", "+7 495 123-45-67", "", "", 1, 14.3),
        ("Delta", "", "", "", 0, 14.3),
        ("Epsilon", "", "", "", 0, 14.3),
        ("Foxtrot", "", "", "", 0, 14.3),
        ("Gamma", "", "gamma@example.com", "", 0, 28.6),
        ("Golf", "", "", "", 1, 28.6),  # the person's email counts for completeness, is not the company's
        ("India", "", "", "", 0, 14.3),
    ]
    beta = next(r for r in table(resp) if r["name"] == "Beta")
    assert beta["missing"].split("; ") == [
        "Tax id", "Email of the counterparty", "Legal address", "Actual address", "Website",
        "A contact person with a phone or email"]
    # Averages per main manager: Andreev (7+1+1)/3 of 7, Borisov (2+1+2+1)/4 of 7, nobody 1 of 7.
    assert summary_rows(resp) == [("Anton Andreev", 3, 42.9), ("Boris Borisov", 4, 21.4),
                                  ("No main manager", 1, 14.3)]
    assert chart(resp)["datasets"][0]["data"] == [42.9, 21.4, 14.3]
    html = resp.content.decode()
    assert "How completeness is computed (7 items)" in html
    assert 'id="contact-info-chart-0"' in html and "data-chart=\"contact-info-chart-0\"" in html


def test_contact_info_filters(admin_user, client_for, data):
    c = client_for(admin_user)
    names = lambda **p: [r[0] for r in info_rows(get(c, CONTACT_INFO, **p))]  # noqa: E731
    assert names(relationship_type=data.vip.pk) == ["Alpha", "Foxtrot", "Gamma", "Golf"]
    assert names(group=data.key.pk) == ["Alpha", "Foxtrot", "Gamma"]  # with the subgroup
    assert names(main_manager=data.teammate.pk) == ["Delta", "Gamma", "Golf", "India"]
    assert names(no_manager="on") == ["Epsilon"]
    assert names(role="supplier") == ["India"]
    assert names(order="completeness") == ["Beta", "Delta", "Epsilon", "Foxtrot", "India", "Gamma", "Golf",
                                           "Alpha"]
    resp = get(c, CONTACT_INFO, main_manager=data.teammate.pk)
    assert summary_rows(resp) == [("Boris Borisov", 4, 21.4)]


def test_contact_info_manager_sees_own_and_shared_only(manager, client_for, data):
    resp = get(client_for(manager), CONTACT_INFO)
    assert [r[0] for r in info_rows(resp)] == ["Alpha", "Beta", "Delta", "Foxtrot"]
    assert summary_rows(resp) == [("Anton Andreev", 3, 42.9), ("Boris Borisov", 1, 14.3)]
    html = resp.content.decode()
    for hidden in ["Gamma", "Golf", "India", "Epsilon", "gamma@example.com", "Hotel"]:
        assert hidden not in html


def test_contact_info_xlsx_has_the_same_rows(manager, client_for, data):
    rows = xlsx_section(xlsx_rows(client_for(manager), CONTACT_INFO), "Counterparties")
    assert rows[0][:3] == ["Counterparty", "Tax id", "Main manager"]
    # XLSX text is typed as a string: phones as written, no apostrophe (core.export).
    assert [(r[0], r[2], r[5], r[6], r[8], r[9]) for r in rows[1:]] == [
        ("Alpha", "Anton Andreev", "+7 903 523-66-45", "alpha@example.com", 1, 100),
        ("Beta", "Anton Andreev", "+7 495 123-45-67", "", 1, 14.3),
        ("Delta", "Boris Borisov", "", "", 0, 14.3),
        ("Foxtrot", "Anton Andreev", "", "", 0, 14.3),
    ]


# --- 2. Contacts for a period ---------------------------------------------------------------------


def contact_rows(resp):
    return [(timezone.localtime(i.start).strftime("%m-%d %H:%M"), i.type.code, i.counterparty.name,
             i.responsible.username) for i in resp.context["page"]]


def test_contacts_for_march(admin_user, client_for, data):
    resp = get(client_for(admin_user), CONTACTS, **MARCH)
    assert contact_rows(resp) == [
        ("03-01 00:00", "outgoing_call", "Alpha", "manager1"),  # the first minute of the period
        ("03-05 10:00", "incoming_call", "Gamma", "manager2"),
        ("03-06 10:00", "email", "Delta", "manager2"),
        ("03-10 10:00", "outgoing_call", "Gamma", "manager1"),
        ("03-31 23:30", "meeting", "Alpha", "manager1"),  # 23:30 local on the last day
    ]  # not: 28 Feb 23:50, 1 Apr 00:10 (31 Mar in UTC), the planned and the cancelled ones
    first = resp.context["page"][0]
    assert [p.full_name for p in first.contact_persons.all()] == ["Petrov Pyotr"]
    html = resp.content.decode()
    assert "Petrov Pyotr" in html and "Agreed" in html


def test_contacts_default_period_is_the_last_12_months(admin_user, client_for, data):
    resp = get(client_for(admin_user), CONTACTS)
    assert resp.context["form"].cleaned_data["date_from"] == datetime.date(2024, 5, 1)
    assert resp.context["form"].cleaned_data["date_to"] == datetime.date(2025, 4, 30)
    rows = contact_rows(resp)
    assert ("04-01 00:10", "outgoing_call", "Foxtrot", "manager1") in rows
    assert ("03-10 10:00", "outgoing_call", "Gamma", "manager1") in rows


def test_contacts_filters(admin_user, client_for, data):
    c = client_for(admin_user)
    subjects = lambda **p: [(r[1], r[2]) for r in contact_rows(get(c, CONTACTS, **MARCH, **p))]  # noqa: E731
    assert subjects(state=["done", "planned", "cancelled"]) == [
        ("outgoing_call", "Alpha"), ("incoming_call", "Gamma"), ("email", "Delta"), ("meeting", "Gamma"),
        ("outgoing_call", "Gamma"), ("outgoing_call", "Alpha"), ("meeting", "Alpha")]
    assert subjects(state="planned") == [("outgoing_call", "Alpha")]
    assert subjects(responsible=data.manager.pk) == [("outgoing_call", "Alpha"), ("outgoing_call", "Gamma"),
                                                     ("meeting", "Alpha")]
    assert subjects(type=InteractionType.by_code("meeting").pk) == [("meeting", "Alpha")]
    assert subjects(client="gamma") == [("incoming_call", "Gamma"), ("outgoing_call", "Gamma")]
    assert subjects(direction="in") == [("incoming_call", "Gamma")]


def test_contacts_access(manager, teammate, client_for, data):
    resp = get(client_for(manager), CONTACTS, **MARCH)
    # Gamma is the teammate's client: the manager's own call to it (i8) stays out too.
    assert [(r[1], r[2]) for r in contact_rows(resp)] == [
        ("outgoing_call", "Alpha"), ("email", "Delta"), ("meeting", "Alpha")]
    assert "Gamma" not in resp.content.decode()
    resp = get(client_for(teammate), CONTACTS, **MARCH)
    assert [(r[1], r[2]) for r in contact_rows(resp)] == [
        ("incoming_call", "Gamma"), ("email", "Delta"), ("outgoing_call", "Gamma")]
    assert "Alpha" not in resp.content.decode()


def test_contacts_xlsx_has_the_same_rows(manager, client_for, data):
    rows = xlsx_rows(client_for(manager), CONTACTS, **MARCH)
    assert rows[0] == ["Date", "Type", "Direction", "State", "Client", "Contact persons", "Responsible",
                       "Subject", "Result"]
    types = {t.code: t.name for t in InteractionType.objects.all()}
    assert rows[1:] == [
        [datetime.datetime(2025, 3, 1, 0, 0), types["outgoing_call"], "Outgoing", "Done", "Alpha", "Petrov Pyotr",
         "Anton Andreev", "outgoing_call Alpha", "Agreed"],
        [datetime.datetime(2025, 3, 6, 10, 0), types["email"], "Outgoing", "Done", "Delta", "", "Boris Borisov",
         "email Delta", ""],
        [datetime.datetime(2025, 3, 31, 23, 30), types["meeting"], "Outgoing", "Done", "Alpha", "", "Anton Andreev",
         "meeting Alpha", ""],
    ]


# --- 3. Interaction analysis ----------------------------------------------------------------------


def analysis_rows(resp):
    types = resp.context["data"].types
    rows = [("manager" if r.get("_level") == "group" else "client", r.get("client") or r["responsible"],
             [r["count"].get(t.pk, 0) for t in types], r["total"]) for r in table(resp) if r.get("_level") != "total"]
    total = next(r for r in table(resp) if r.get("_level") == "total")
    return [t.code for t in types], rows, ([total["count"].get(t.pk, 0) for t in types], total["total"])


def test_analysis_for_march(admin_user, client_for, data):
    resp = get(client_for(admin_user), ANALYSIS, **MARCH)
    types, rows, total = analysis_rows(resp)
    assert types == ["incoming_call", "outgoing_call", "meeting", "email"]
    assert rows == [
        ("manager", "Anton Andreev", [0, 2, 1, 0], 3),
        ("client", "Alpha", [0, 1, 1, 0], 2),
        ("client", "Gamma", [0, 1, 0, 0], 1),
        ("manager", "Boris Borisov", [1, 0, 0, 1], 2),
        ("client", "Delta", [0, 0, 0, 1], 1),
        ("client", "Gamma", [1, 0, 0, 0], 1),
    ]
    assert total == ([1, 2, 1, 1], 5)
    spec = chart(resp)
    assert spec["labels"] == ["Anton Andreev", "Boris Borisov"]
    assert [d["data"] for d in spec["datasets"]] == [[0, 1], [2, 0], [1, 0], [0, 1]]
    assert spec["stacked"] is True


def test_analysis_with_planned_and_filters(admin_user, client_for, data):
    c = client_for(admin_user)
    _types, rows, total = analysis_rows(get(c, ANALYSIS, **MARCH, include_planned="on"))
    assert rows[:2] == [("manager", "Anton Andreev", [0, 3, 1, 0], 4), ("client", "Alpha", [0, 2, 1, 0], 3)]
    assert total == ([1, 3, 1, 1], 6)
    types, rows, total = analysis_rows(get(c, ANALYSIS, **MARCH, responsible=data.teammate.pk))
    assert types == ["incoming_call", "email"]
    assert rows == [("manager", "Boris Borisov", [1, 1], 2), ("client", "Delta", [0, 1], 1),
                    ("client", "Gamma", [1, 0], 1)]
    _types, rows, total = analysis_rows(get(c, ANALYSIS, **MARCH, client="alpha"))
    assert rows == [("manager", "Anton Andreev", [1, 1], 2), ("client", "Alpha", [1, 1], 2)]


def test_analysis_access(manager, client_for, data):
    resp = get(client_for(manager), ANALYSIS, **MARCH)
    types, rows, total = analysis_rows(resp)
    assert types == ["outgoing_call", "meeting", "email"]
    assert rows == [
        ("manager", "Anton Andreev", [1, 1, 0], 2),
        ("client", "Alpha", [1, 1, 0], 2),
        ("manager", "Boris Borisov", [0, 0, 1], 1),
        ("client", "Delta", [0, 0, 1], 1),
    ]
    assert total == ([1, 1, 1], 3)
    assert "Gamma" not in resp.content.decode()


def test_analysis_xlsx_has_the_same_rows(manager, client_for, data):
    rows = xlsx_rows(client_for(manager), ANALYSIS, **MARCH)
    types = {t.code: t.name for t in InteractionType.objects.all()}
    assert rows == [
        ["Responsible", "Client", types["outgoing_call"], types["meeting"], types["email"], "Total"],
        ["Anton Andreev", "", 1, 1, 0, 2],
        ["Anton Andreev", "Alpha", 1, 1, 0, 2],
        ["Boris Borisov", "", 0, 0, 1, 1],
        ["Boris Borisov", "Delta", 0, 0, 1, 1],
        ["Total", "", 1, 1, 1, 3],
    ]


# --- 4. Clients without interactions ----------------------------------------------------------------


def without_rows(resp):
    return [(str(cp.main_manager or "-"), str(cp.relationship_type or "-"), cp.name,
             cp.last_contact and timezone.localtime(cp.last_contact).date()) for cp in resp.context["page"]]


def test_without_interactions_in_march(admin_user, client_for, data):
    resp = get(client_for(admin_user), WITHOUT, **MARCH)
    assert without_rows(resp) == [
        ("Anton Andreev", "Regular", "Beta", datetime.date(2025, 2, 10)),
        # A VIP nobody called in March: its calls were at 23:50 on 28 Feb and 00:10 on 1 Apr.
        ("Anton Andreev", "VIP", "Foxtrot", datetime.date(2025, 4, 1)),
        ("Boris Borisov", "VIP", "Golf", None),
        ("-", "-", "Epsilon", None),
    ]  # India is a supplier, not a client; Gamma's cancelled meeting does not count, its calls do
    assert resp.context["data"][0] == [
        ("Anton Andreev", [("Regular", 1), ("VIP", 1)], 2),
        ("Boris Borisov", [("VIP", 1)], 1),
        ("No main manager", [("No relationship type", 1)], 1),
    ]
    spec = chart(resp)
    assert spec["labels"] == ["Anton Andreev", "Boris Borisov", "No main manager"]
    assert [(d["label"], d["data"]) for d in spec["datasets"]] == [
        ("Regular", [1, 0, 0]), ("VIP", [1, 1, 0]), ("No relationship type", [0, 0, 1])]
    html = resp.content.decode()
    assert "never" in html and "No main manager" in html


def test_without_interactions_default_period_and_filters(admin_user, client_for, data):
    c = client_for(admin_user)
    # April: only Foxtrot was called, at 00:10 on 1 April.
    assert without_rows(get(c, WITHOUT, date_from="2025-04-01", date_to="2025-04-30")) == [
        ("Anton Andreev", "Regular", "Beta", datetime.date(2025, 2, 10)),
        ("Anton Andreev", "VIP", "Alpha", datetime.date(2025, 3, 31)),
        ("Boris Borisov", "Regular", "Delta", datetime.date(2025, 3, 6)),
        ("Boris Borisov", "VIP", "Gamma", datetime.date(2025, 3, 10)),
        ("Boris Borisov", "VIP", "Golf", None),
        ("-", "-", "Epsilon", None),
    ]
    names = lambda **p: [r[2] for r in without_rows(get(c, WITHOUT, **{**MARCH, **p}))]  # noqa: E731
    assert names(relationship_type=data.vip.pk) == ["Foxtrot", "Golf"]
    assert names(main_manager=data.teammate.pk) == ["Golf"]
    assert names(group=data.key.pk) == ["Foxtrot"]
    assert names(no_manager="on") == ["Epsilon"]
    assert names(role="all") == ["Beta", "Foxtrot", "Golf", "India", "Epsilon"]
    assert names(date_from="2025-04-01", date_to="2025-04-01") == ["Beta", "Alpha", "Delta", "Gamma", "Golf",
                                                                    "Epsilon"]


def test_without_interactions_access(manager, teammate, client_for, data):
    resp = get(client_for(manager), WITHOUT, **MARCH)
    assert [r[2] for r in without_rows(resp)] == ["Beta", "Foxtrot"]  # Delta (shared) was contacted
    assert resp.context["data"][0] == [("Anton Andreev", [("Regular", 1), ("VIP", 1)], 2)]
    html = resp.content.decode()
    assert "Golf" not in html and "Epsilon" not in html and "Hotel" not in html
    assert [r[2] for r in without_rows(get(client_for(teammate), WITHOUT, **MARCH))] == ["Golf"]


def test_without_interactions_xlsx_has_the_same_rows(manager, teammate, client_for, data):
    caption = "Clients without interactions"
    rows = xlsx_section(xlsx_rows(client_for(manager), WITHOUT, **MARCH), caption)
    assert rows[0] == ["Main manager", "Relationship type", "Client", "Tax id", "Group", "Last interaction"]
    assert [r[:3] + r[4:] for r in rows[1:]] == [
        ["Anton Andreev", "Regular", "Beta", "Others", datetime.datetime(2025, 2, 10)],
        ["Anton Andreev", "VIP", "Foxtrot", "Key accounts", datetime.datetime(2025, 4, 1)],
    ]
    rows = xlsx_section(xlsx_rows(client_for(teammate), WITHOUT, **MARCH), caption)
    assert rows[1:] == [["Boris Borisov", "VIP", "Golf", data.golf.tax_id, "", "never"]]


# --- Access in every export, formulas, query counts ------------------------------------------------


def test_manager_exports_never_contain_other_managers_clients(manager, client_for, data):
    c = client_for(manager)
    for url in ALL_REPORTS:
        for params in [MARCH, {"date_from": "2025-01-01", "date_to": "2025-12-31", "state": ["done", "planned",
                                                                                              "cancelled"]}]:
            cells = {str(v) for row in xlsx_rows(c, url, **params) for v in row}
            assert not cells & {"Gamma", "Golf", "India", "Epsilon", "Hotel", "gamma@example.com"}, url


def test_sales_head_sees_everything(sales_head, client_for, data):
    resp = get(client_for(sales_head), WITHOUT, **MARCH)
    assert [r[2] for r in without_rows(resp)] == ["Beta", "Foxtrot", "Golf", "Epsilon"]


def test_xlsx_neutralises_formulas(admin_user, client_for, clock):
    CounterpartyFactory(name="=HYPERLINK(\"http://evil\")", main_manager=admin_user)
    rows = xlsx_section(xlsx_rows(client_for(admin_user), CONTACT_INFO), "Counterparties")
    assert rows[1][0] == "=HYPERLINK(\"http://evil\")"  # typed as a string: shown, never evaluated


def _bulk(manager, start, count):
    call = InteractionType.by_code("outgoing_call")
    for n in range(start, start + count):
        cp = CounterpartyFactory(name=f"Client {n:03d}", main_manager=manager)
        info(cp, ContactKind.PHONE, f"+7903{n:07d}")
        person = ContactPersonFactory(counterparty=cp)
        info(cp, ContactKind.EMAIL, f"p{n}@example.com", person=person)
        if n % 3:  # a third never contacted
            for day in (3, 17):
                i = Interaction.objects.create(type=call, counterparty=cp, responsible=manager, start=at(3, day),
                                               state="done", subject="Call")
                i.contact_persons.set([person])


def _query_counts(c):
    counts = {}
    for url in ALL_REPORTS:
        for export in ("", "xlsx"):
            with CaptureQueriesContext(connection) as ctx:
                assert c.get(url, {**MARCH, "export": export}).status_code == 200
            counts[url, export] = len(ctx)
    return counts


def test_query_count_does_not_grow_with_counterparties(manager, client_for, clock):
    c = client_for(manager)
    _bulk(manager, 0, 5)
    few = _query_counts(c)
    _bulk(manager, 5, 25)
    assert len(get(c, CONTACTS, **MARCH).context["page"]) == 40  # the data really grew
    assert _query_counts(c) == few


# --- In a real browser: the charts draw under the CSP --------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_charts_draw_without_csp_violations(page, console, log_in, manager, teammate):
    manager.first_name, manager.last_name = "Anton", "Andreev"
    manager.save()
    teammate.first_name, teammate.last_name = "Boris", "Borisov"
    teammate.save()
    call = InteractionType.by_code("outgoing_call")
    today = timezone.now()
    for name, owner in [("Alpha", manager), ("Delta", teammate)]:
        cp = CounterpartyFactory(name=name, main_manager=owner)
        if owner == manager:
            Interaction.objects.create(type=call, counterparty=cp, responsible=manager, start=today, state="done",
                                       subject="Call")
    CounterpartyShare.objects.create(counterparty=Counterparty.objects.get(name="Delta"), user=manager)
    log_in(manager.username)
    page.goto("/")
    page.get_by_test_id("reports-menu").click()
    page.get_by_role("link", name="Interaction analysis").click()
    page.wait_for_url(f"**{ANALYSIS}")
    expected = {ANALYSIS: ["Anton Andreev"], CONTACT_INFO: ["Anton Andreev", "Boris Borisov"],
                WITHOUT: ["Boris Borisov"]}  # Delta is shared with the manager and nobody called it
    for url, labels in expected.items():
        page.goto(url)
        page.wait_for_function("() => document.querySelector('canvas[data-chart]')?.chart !== undefined")
        assert page.evaluate("() => document.querySelector('canvas[data-chart]').chart.data.labels") == labels
    assert [line for line in console if "Content Security Policy" in line or line.startswith("pageerror")] == []
