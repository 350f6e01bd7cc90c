"""Imports of interaction history: mapping, dates, types, clients within the user's scope, contact
persons, duplicates, all or nothing, the API, XLSX input and a 1 000-row file without a query per row."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from activities.models import Interaction, InteractionType
from activities.tests.factories import InteractionFactory
from clients.models import ContactPerson
from clients.tests.factories import CounterpartyFactory
from core import history
from core.tests.factories import UserFactory
from integrations.imports import fields, services
from integrations.imports import interactions as importer
from integrations.models import ImportJob

pytestmark = pytest.mark.django_db
State = ImportJob.State

HEADER = "Дата;Тип;Направление;ИНН;Клиент;Контактное лицо;Тема;Содержание;Длительность, мин;Ответственный\r\n"


def csv_file(rows, header=HEADER, encoding="cp1251"):
    text = header + "".join(r + "\r\n" for r in rows)
    return SimpleUploadedFile("history.csv", text.encode(encoding))


def run(job, user, **decisions):
    services.validate(job)
    services.start(job, user, **decisions)
    services.run(job.pk)
    job.refresh_from_db()
    return job


def local(*args):
    return timezone.make_aware(datetime.datetime(*args))


@pytest.fixture(autouse=True)
def _types(db):
    InteractionType.ensure_builtin()


@pytest.fixture
def gourmet(manager):
    client = CounterpartyFactory(name="ООО «Уютный Гурман»", tax_id="7702124360", main_manager=manager)
    ContactPerson.objects.create(counterparty=client, last_name="Баранов", first_name="Варфоломей",
                                 middle_name="Феодосьевич")
    return client


def snapshot():
    links = Interaction.contact_persons.through.objects
    return Interaction.all_objects.count(), Interaction.history.count(), links.count()


# --- Mapping and parsing ---------------------------------------------------------------------------

def test_mapping_is_guessed_from_russian_english_and_romanian_headers():
    assert fields.guess("interactions", HEADER.strip().split(";")) == [
        "start", "type", "direction", "client_tax_id", "client_name", "contact_person", "subject", "content",
        "duration", "responsible"]
    assert fields.guess("interactions", ["Date", "Time", "Type", "Direction", "Tax id", "Client", "Subject",
                                         "Outcome", "Duration", "User", "Status"]) == [
        "start", "time", "type", "direction", "client_tax_id", "client_name", "subject", "result", "duration",
        "responsible", "state"]
    assert fields.guess("interactions", ["Data", "Tip", "Direcție", "Cod fiscal", "Client", "Persoana de contact",
                                         "Subiect", "Conținut", "Rezultat", "Durata", "Responsabil"]) == [
        "start", "type", "direction", "client_tax_id", "client_name", "contact_person", "subject", "content",
        "result", "duration", "responsible"]
    assert fields.check("interactions", ["subject"]) == ["Choose the column with the date of the interaction.",
                                                         "Choose the column with the client's tax id or name."]


@pytest.mark.parametrize(("text", "expected"), [
    ("05.03.2026 14:30", (2026, 3, 5, 14, 30)), ("5.3.2026", (2026, 3, 5, 0, 0)), ("05.03.26 9:05", (2026, 3, 5, 9, 5)),
    ("2026-03-05", (2026, 3, 5, 0, 0)), ("2026-03-05T14:30:00", (2026, 3, 5, 14, 30)),
    ("2026-03-05 14:30", (2026, 3, 5, 14, 30)), ("46086", (2026, 3, 5, 0, 0)),
    ("46086.6041666667", (2026, 3, 5, 14, 30)),
])
def test_dates_in_russian_iso_and_excel_forms(text, expected):
    moment, _has_time = importer.parse_moment(text)
    assert (moment.year, moment.month, moment.day, moment.hour, moment.minute) == expected


@pytest.mark.parametrize("text", ["2026", "31.02.2026", "вчера", "12/13/2026", "2026-13-01"])
def test_what_is_not_a_date(text):
    assert importer.parse_moment(text) is None


# --- Rows ------------------------------------------------------------------------------------------

def test_rows_become_done_interactions_with_type_person_and_history(manager, gourmet):
    job = services.create_job(manager, csv_file([
        "12.11.2026 10:30;Звонок;Исходящий;7702124360;;Баранов Варфоломей Феодосьевич;Потребность;Две горки;12;",
        "18.11.2026 14:00;Встреча;;;ООО «Уютный Гурман»;Варфоломей Баранов;;Показали витрины;1:30;manager1",
        "20.11.2026;Письмо;Incoming;7702124360;;;Коммерческое предложение;;;",
        "21.11.2026 16:45;Входящий звонок;;7702124360;;;Гарантия;;5;",
    ]), kind="interactions")
    job = run(job, manager)
    assert (job.state, job.created_count, job.error) == (State.DONE, 4, "")
    call, meeting, letter, incoming = Interaction.objects.filter(counterparty=gourmet).order_by("start")
    assert (call.type.code, call.direction, call.state, call.subject) == ("outgoing_call", "out", "done", "Потребность")
    assert call.start == local(2026, 11, 12, 10, 30) and call.duration_minutes == 12
    assert call.end == local(2026, 11, 12, 10, 42) and call.responsible == manager
    assert [p.last_name for p in call.contact_persons.all()] == ["Баранов"]
    assert meeting.type.code == "meeting" and meeting.duration_minutes == 90
    assert meeting.subject == "Показали витрины"  # no subject: the content's first line
    assert meeting.contact_persons.count() == 1
    assert (letter.type.code, letter.direction) == ("letter", "in")
    assert (incoming.type.code, incoming.direction) == ("incoming_call", "in")
    record = call.history.get()
    assert record.history_type == "+" and record.history_user == manager
    assert record.history_change_reason == job.history_reason
    call.subject = "Потребность уточнена"  # the imported person is in the creation record, not "added" now
    call.save()
    assert [c["field"] for c in history.entries(list(call.history.all()))[0]["changes"]] == ["subject"]


def test_per_row_errors_name_the_column(manager, gourmet):
    job = services.create_job(manager, csv_file([
        "31.02.2026 10:00;Звонок;;7702124360;;;Раз;;;",
        "01.03.2026;Голубиная почта;;7702124360;;;Два;;;",
        "01.03.2026;Звонок;;7707083893;ООО Нет такого;;Три;;;",
        "01.03.2026;Звонок;куда-то;7702124360;;;Четыре;;;",
        "01.03.2026;Звонок;;7702124360;;Петров Пётр;Пять;;;",
        "01.03.2026;Звонок;;7702124360;;;Шесть;;долго;",
        "01.03.2026;Звонок;;7702124360;;;Семь;;;nobody",
        ";Звонок;;7702124360;;;Восемь;;;",
        "01.03.2026;Звонок;;7702124360;;;Девять;;;",
    ]), kind="interactions")
    services.validate(job)
    job.refresh_from_db()
    assert [(e["row"], e["column"]) for e in job.errors] == [
        (2, "Дата"), (3, "Тип"), (4, "ИНН"), (5, "Направление"), (6, "Контактное лицо"), (7, "Длительность, мин"),
        (8, "Ответственный"), (9, "Дата")]
    assert job.summary["create"] == 1
    messages = {e["row"]: e["message"] for e in job.errors}
    assert "not a date" in messages[2] and "Голубиная почта" in messages[3]
    assert "7707083893" in messages[4]


def test_duplicates_of_the_base_and_of_the_file_are_skipped_unless_chosen(manager, gourmet, client_for):
    meeting = InteractionType.by_code("meeting")
    existing = InteractionFactory(counterparty=gourmet, responsible=manager, type=meeting, subject="Презентация",
                                  start=local(2026, 11, 18, 14, 0), state="done")
    job = services.create_job(manager, csv_file([
        "18.11.2026 14:00;Встреча;;7702124360;;;презентация;;;",  # as the existing one (subject in any case)
        "19.11.2026 14:00;Встреча;;7702124360;;;Презентация;;;",
        "19.11.2026 14:00;Встреча;;7702124360;;;Презентация;;;",  # as row 3
    ]), kind="interactions")
    services.validate(job)
    job.refresh_from_db()
    assert job.summary == {"create": 1, "update": 0, "skip": 2, "errors": 0, "flagged": 2}
    flagged = {r["row"]: r for r in job.flagged}
    assert flagged[2]["flag"] == "exists" and flagged[2]["matches"][0]["id"] == existing.pk
    assert flagged[4]["duplicate_of"] == 3
    page = client_for(manager).get(job.get_absolute_url()).content.decode()
    assert "Rows repeating an interaction: decide" in page and "Same interaction as row 3 of the file" in page
    assert reverse("activities:interaction_edit", args=[existing.pk]) in page
    assert 'name="row_2"' in page and 'value="update"' not in page  # interactions are created or skipped
    # "Update" is not offered for interactions: an error on that row, not a change.
    services.set_decisions(job, overrides={"2": "update"})
    services.validate(job)
    job.refresh_from_db()
    assert job.summary["errors"] == 1
    job.overrides = {}
    job.save()
    job = run(job, manager, overrides={"4": "create"})
    assert (job.created_count, job.skipped_count) == (2, 1)
    assert Interaction.objects.filter(counterparty=gourmet).count() == 3


# --- Access ----------------------------------------------------------------------------------------

def test_a_manager_imports_only_for_their_clients_and_as_themselves(manager, teammate, head, gourmet, api):
    CounterpartyFactory(name="ООО Чужой", tax_id="7736050003", main_manager=teammate)
    rows = ["01.03.2026;Звонок;;7736050003;;;Чужому;;;", "01.03.2026;Звонок;;;ООО Чужой;;Чужому;;;",
            "01.03.2026;Звонок;;7702124360;;;Своему;;;manager2"]
    job = services.create_job(manager, csv_file(rows), kind="interactions")
    services.validate(job)
    job.refresh_from_db()
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "ИНН"), (3, "Клиент"), (4, "Ответственный")]
    # The teammate's client reads exactly as a client that does not exist.
    assert "among the clients you may change" in job.errors[0]["message"]
    job = run(job, manager, skip_errors=True)
    assert job.state == State.DONE and job.created_count == 0
    # A head imports for anyone and may name the responsible.
    job = run(services.create_job(head, csv_file(rows), kind="interactions"), head)
    assert (job.state, job.created_count, job.skipped_count) == (State.DONE, 2, 1), job.error
    assert Interaction.objects.get(counterparty=gourmet).responsible == teammate


def test_roles_that_may_not_add_interactions_get_403(api, quality, service):
    data = {"file": csv_file(["01.03.2026;Звонок;;7702124360;;;Раз;;;"]), "kind": "interactions"}
    assert api(quality).post("/api/imports/", data, format="multipart").status_code == 403
    assert not services.may_import(service, "interactions")


# --- All or nothing --------------------------------------------------------------------------------

def rows(count, tax_id="7702124360", day=1):
    start = datetime.datetime(2026, 1, day, 8, 0)
    return [f"{(start + datetime.timedelta(minutes=10 * i)):%d.%m.%Y %H:%M};Звонок;;{tax_id};;"
            f"Баранов Варфоломей;Звонок {i};;3;" for i in range(count)]


def test_an_error_or_a_cancel_leaves_the_history_as_it_was(manager, gourmet, monkeypatch):
    before = snapshot()
    real = importer.Writer.create
    calls = []

    def failing(self, batch):
        calls.append(len(batch))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(self, batch)

    monkeypatch.setattr(importer.Writer, "create", failing)
    job = run(services.create_job(manager, csv_file(rows(3000)), kind="interactions"), manager)
    assert job.state == State.FAILED and "disk full" in job.error
    assert calls == [2000, 1000] and snapshot() == before

    second = services.create_job(manager, csv_file(rows(3000)), kind="interactions")

    def cancel_after_first_batch(self, batch):
        result = real(self, batch)
        services.cancel(ImportJob.objects.get(pk=second.pk))  # the web's cancel button, while it runs
        return result

    monkeypatch.setattr(importer.Writer, "create", cancel_after_first_batch)
    second = run(second, manager)
    assert second.state == State.CANCELLED and snapshot() == before


def test_a_thousand_rows_without_a_query_per_row(manager, django_assert_max_num_queries):
    clients = [CounterpartyFactory(main_manager=manager) for _ in range(50)]
    for client in clients:
        ContactPerson.objects.create(counterparty=client, last_name="Баранов", first_name="Варфоломей")
    lines = [line for i, client in enumerate(clients) for line in rows(20, tax_id=client.tax_id, day=1 + i % 28)]
    job = services.create_job(manager, csv_file(lines), kind="interactions")
    assert job.total_rows == 1000
    with django_assert_max_num_queries(40):
        services.validate(job)
    services.start(job, manager)
    with django_assert_max_num_queries(40):
        services.run(job.pk)
    job.refresh_from_db()
    assert (job.state, job.created_count, job.error) == (State.DONE, 1000, "")
    assert Interaction.history.filter(history_change_reason=job.history_reason).count() == 1000
    assert Interaction.contact_persons.through.objects.count() == 1000
    # The same file again: every row repeats an interaction and is skipped.
    again = services.create_job(manager, csv_file(lines), kind="interactions")
    with django_assert_max_num_queries(40):
        services.validate(again)
    again.refresh_from_db()
    assert again.summary["skip"] == 1000 and again.summary["create"] == 0


# --- API, XLSX and the sample ------------------------------------------------------------------------

def test_api_round_trip(api, manager, gourmet, django_capture_on_commit_callbacks):
    c = api(manager)
    resp = c.post("/api/imports/", {"file": csv_file(rows(3)), "kind": "interactions"}, format="multipart")
    assert resp.status_code == 201, resp.content
    job = resp.json()
    assert (job["kind"], job["state"], job["policy"]) == ("interactions", "validated", "skip_matches")
    assert job["summary"]["create"] == 3 and job["preview"][0]["values"]["type"] == "Outgoing call"
    assert c.post(f"/api/imports/{job['id']}/run/", {"policy": "update_tax_id"}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        resp = c.post(f"/api/imports/{job['id']}/run/", {"overrides": {"2": "skip"}}, format="json")
    assert resp.status_code == 202, resp.content
    services.run(job["id"])
    body = c.get(f"/api/imports/{job['id']}/").json()
    assert (body["state"], body["created_count"], body["skipped_count"]) == ("done", 2, 1)


def test_xlsx_with_real_dates(manager, gourmet):
    book = Workbook()
    sheet = book.active
    sheet.append(["Data", "Ora", "Tip", "Cod fiscal", "Subiect"])
    sheet.append([datetime.datetime(2026, 3, 5, 14, 30), None, "Întâlnire", 7702124360, "Prezentare"])
    sheet.append([datetime.date(2026, 3, 6), datetime.time(9, 15), "Apel", 7702124360, "Apel"])
    buffer = io.BytesIO()
    book.save(buffer)
    job = services.create_job(manager, SimpleUploadedFile("h.xlsx", buffer.getvalue()), kind="interactions")
    assert job.mapping == ["start", "time", "type", "client_tax_id", "subject"]
    job = run(job, manager)
    assert (job.state, job.created_count) == (State.DONE, 2), job.error
    meeting, call = Interaction.objects.order_by("start")
    assert (meeting.type.code, meeting.start) == ("meeting", local(2026, 3, 5, 14, 30))
    assert (call.type.code, call.start) == ("outgoing_call", local(2026, 3, 6, 9, 15))


def test_the_sample_file_of_the_docs(head, manager, teammate):
    gourmet = CounterpartyFactory(name="ООО «Уютный Гурман»", tax_id="7702124360",
                                  main_manager=UserFactory(username="manager3"))
    ContactPerson.objects.create(counterparty=gourmet, last_name="Баранов", first_name="Варфоломей",
                                 middle_name="Феодосьевич")
    shop = CounterpartyFactory(name="ООО «Семейный Магазин»", tax_id="7708599507", main_manager=manager)
    ContactPerson.objects.create(counterparty=shop, last_name="Мишин", first_name="Павел", middle_name="Марсович")
    CounterpartyFactory(name="ООО «Вкусный Квартал»", tax_id="7705361930", main_manager=teammate)
    data = (Path(__file__).resolve().parents[2] / "docs" / "samples" / "interactions-import.csv").read_bytes()
    job = services.create_job(head, SimpleUploadedFile("interactions-import.csv", data), kind="interactions")
    assert (job.encoding, job.delimiter) == ("cp1251", ";") and "" not in job.mapping
    services.validate(job)
    job.refresh_from_db()
    assert job.summary == {"create": 4, "update": 0, "skip": 1, "errors": 2, "flagged": 1}
    assert [(e["row"], e["column"]) for e in job.errors] == [(7, "ИНН"), (8, "Дата")]
    # A sales manager's view of the same file: only their own client's rows pass.
    job = services.create_job(manager, SimpleUploadedFile("interactions-import.csv", data), kind="interactions")
    services.validate(job)
    job.refresh_from_db()
    assert job.summary["create"] == 1 and job.summary["errors"] == 6
