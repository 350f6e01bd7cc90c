"""Imports of clients: mapping (guessed and saved), per-row errors, duplicates and upsert, all or
nothing (an error or a cancel leaves the base as it was), file formats, access."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from clients.models import ContactInfo, ContactPerson, Counterparty
from clients.services import search_q
from clients.tests.factories import CounterpartyFactory
from integrations.imports import clients as importer
from integrations.imports import fields, live, readers, samplefile, services
from integrations.models import ImportJob, ImportMapping

pytestmark = pytest.mark.django_db
State = ImportJob.State

HEADER = "Наименование;ИНН;Город;Телефон;E-mail;Контактное лицо;Должность\r\n"


def upload(name, text, encoding="cp1251"):
    return SimpleUploadedFile(name, text.encode(encoding) if isinstance(text, str) else text)


def csv_file(rows, header=HEADER, encoding="cp1251"):
    return upload("clients.csv", header + "".join(r + "\r\n" for r in rows), encoding)


def run(job, user, **decisions):
    """Validate, start (as the preview's "Run") and work the job off as the worker would."""
    services.validate(job)
    services.start(job, user, **decisions)
    services.run(job.pk)
    job.refresh_from_db()
    return job


def snapshot():
    return (Counterparty.all_objects.count(), ContactPerson.all_objects.count(), ContactInfo.all_objects.count(),
            Counterparty.history.count(), sorted(Counterparty.all_objects.values_list("pk", "city", "version")))


# --- Mapping ---------------------------------------------------------------------------------------

def test_mapping_is_guessed_from_russian_english_and_romanian_headers():
    headers = ["Наименование", "ИНН", "Телефон", "E-mail", "Denumire", "Cod fiscal", "Contact person", "Прочее"]
    assert fields.guess("clients", headers) == ["name", "tax_id", "phone", "email", "", "", "person_name", ""]
    assert fields.guess("clients", ["Denumire", "Cod fiscal", "Telefon", "Adresa juridică"]) == [
        "name", "tax_id", "phone", "legal_address"]
    assert fields.guess("clients", [" ИНН: ", "КПП", "Company", "Mobile phone", "Должность"]) == [
        "tax_id", "kpp", "name", "mobile", "person_position"]


def test_a_saved_mapping_is_used_for_the_next_file_with_the_same_columns(manager, teammate, head):
    text = "Клиент;Код;Номер\r\nООО Ромашка;7707083893;+7 916 123-45-67\r\n"
    job = services.create_job(manager, upload("a.csv", text))
    assert job.mapping == ["name", "", ""]  # "Код" and "Номер" are not known names
    services.set_mapping(job, ["name", "tax_id", "phone"], remember=True, user=manager)
    again = services.create_job(manager, upload("b.csv", text))
    assert again.mapping == ["name", "tax_id", "phone"]
    # Another manager does not get it: it is the manager's own…
    assert services.create_job(teammate, upload("c.csv", text)).mapping == ["name", "", ""]
    # …until a head saves one for everyone.
    services.set_mapping(services.create_job(head, upload("d.csv", text)), ["name", "tax_id", ""],
                         remember=True, shared=True, user=head)
    assert services.create_job(teammate, upload("e.csv", text)).mapping == ["name", "tax_id", ""]
    assert ImportMapping.objects.filter(user=None).count() == 1


def test_a_mapping_without_the_name_or_with_a_field_twice_is_refused(manager):
    job = services.create_job(manager, csv_file(["ООО Ромашка;7707083893;Москва;;;;"]))
    with pytest.raises(services.ValidationError) as exc:
        services.set_mapping(job, ["", "tax_id", "city", "", "", "", ""])
    assert "name" in str(exc.value.messages)
    with pytest.raises(services.ValidationError):
        services.set_mapping(job, ["name", "tax_id", "tax_id", "", "", "", ""])


# --- Files -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8", ";"), ("utf-8-sig", ";"), ("utf-8-sig", ","),
                                                     ("cp1251", ";")])
def test_csv_encodings_and_separators_are_detected(encoding, delimiter):
    data = samplefile.csv_bytes(3, encoding=encoding, delimiter=delimiter)
    table = readers.read(data, "x.csv")
    assert table.headers == samplefile.HEADERS
    assert table.delimiter == delimiter
    assert table.encoding == {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "cp1251": "cp1251"}[encoding]
    assert table.rows[0][0] == 2 and table.rows[0][1][0].startswith("ООО «Импорт")


def test_xlsx_is_read_with_numbers_as_text(manager):
    book = Workbook()
    sheet = book.active
    sheet.append(["Denumire", "Cod fiscal", "Telefon"])
    sheet.append(["SRL Alfa", 7707083893, "+7 916 123-45-67"])
    buffer = io.BytesIO()
    book.save(buffer)
    job = services.create_job(manager, upload("clients.xlsx", buffer.getvalue()))
    assert job.file_format == "xlsx" and job.mapping == ["name", "tax_id", "phone"]
    job = run(job, manager)
    cp = Counterparty.objects.get(name="SRL Alfa")
    assert cp.tax_id == "7707083893" and cp.main_manager == manager


VCARD3 = """BEGIN:VCARD\r
VERSION:3.0\r
N:Иванов;Иван;Петрович;;\r
FN:Иван Петрович Иванов\r
ORG:ООО Холод\r
TITLE:Директор\r
TEL;TYPE=WORK,VOICE:+7 916 111-22-33\r
TEL;TYPE=CELL:+7 916 444-55-66\r
EMAIL;TYPE=INTERNET:ivanov@holod.example.ru\r
END:VCARD\r
"""
VCARD4 = """BEGIN:VCARD\r
VERSION:4.0\r
FN:Мария Смирнова\r
N:Смирнова;Мария;;;\r
TEL;VALUE=uri;TYPE=cell:tel:+7-916-777-88-99\r
EMAIL:maria@example.ru\r
END:VCARD\r
"""


def test_vcard_3_and_4(manager):
    job = services.create_job(manager, upload("contacts.vcf", VCARD3 + VCARD4, "utf-8"))
    assert job.file_format == "vcard" and job.total_rows == 2
    job = run(job, manager)
    assert job.state == State.DONE and job.created_count == 2
    holod = Counterparty.objects.get(name="ООО Холод")
    person = holod.contact_persons.get()
    assert (person.last_name, person.first_name, person.middle_name, person.position) == (
        "Иванов", "Иван", "Петрович", "Директор")
    assert set(person.contact_info.values_list("kind", "value")) == {
        ("phone", "+79161112233"), ("mobile", "+79164445566"), ("email", "ivanov@holod.example.ru")}
    maria = Counterparty.objects.get(name="Смирнова Мария")  # no ORG: an individual named after her
    assert maria.kind == "individual"
    assert set(maria.contact_info.values_list("value", flat=True)) == {"+79167778899", "maria@example.ru"}
    assert "79167778899" in maria.search_text


# --- Validation ------------------------------------------------------------------------------------

def test_every_row_is_validated_and_errors_name_the_row_and_the_column(manager):
    job = services.create_job(manager, csv_file([
        "ООО Верный;7707083893;Москва;+7 916 123-45-67;a@b.ru;Петров Пётр;Директор",
        "ООО Контрольная сумма;7707083894;Москва;;;;",
        "ООО Телефон;;Москва;12345;;;",
        ";;Москва;;не почта;;",
    ]))
    services.validate(job)
    job.refresh_from_db()
    assert job.summary["errors"] == 3 and job.summary["create"] == 1
    found = {(e["row"], e["column"]) for e in job.errors}
    assert found == {(3, "ИНН"), (4, "Телефон"), (5, "Наименование"), (5, "E-mail")}
    message = next(e["message"] for e in job.errors if e["row"] == 3)
    assert "checksum" in message
    # Refused to run while rows have errors, unless they are to be skipped.
    with pytest.raises(services.ValidationError):
        services.start(job, manager)
    job.refresh_from_db()
    assert job.state == State.VALIDATED


def test_the_rows_with_errors_download_as_xlsx_with_the_messages(client_for, manager):
    job = services.create_job(manager, csv_file(["ООО Верный;7707083893;;;;;", "ООО Неверный;7707083894;;;;;"]))
    services.validate(job)
    resp = client_for(manager).get(reverse("integrations:import_errors", args=[job.pk]))
    assert resp.status_code == 200
    rows = list(load_workbook(io.BytesIO(resp.content), read_only=True).active.iter_rows(values_only=True))
    assert rows[0][0] == "Row" and rows[0][1] == "Наименование" and rows[0][-1] == "Errors"
    assert len(rows) == 2
    assert rows[1][0] == 3 and rows[1][1] == "ООО Неверный" and "ИНН" in rows[1][-1]


# --- Duplicates and upsert -------------------------------------------------------------------------

def test_update_by_tax_id_create_the_rest_and_skip(manager):
    existing = CounterpartyFactory(name="ООО Старое имя", tax_id="7707083893", main_manager=manager, city="Тверь")
    job = services.create_job(manager, csv_file([
        "ООО Новое имя;7707083893;Москва;+7 916 123-45-67;;Петров Пётр;Директор",
        "ООО Новый клиент;7736050003;Казань;;new@example.ru;;",
    ]))
    job = run(job, manager)
    assert (job.state, job.created_count, job.updated_count) == (State.DONE, 1, 1)
    existing.refresh_from_db()
    assert (existing.name, existing.city, existing.version) == ("ООО Новое имя", "Москва", 2)
    assert existing.contact_persons.get().last_name == "Петров"
    assert existing.contact_info.get(contact_person__isnull=True).value == "+79161234567"
    assert "79161234567" in existing.search_text and "петров" in existing.search_text
    record = existing.history.first()
    assert record.history_type == "~" and record.history_user == manager
    assert record.history_change_reason == f"import #{job.pk} (clients.csv)"
    new = Counterparty.objects.get(tax_id="7736050003")
    assert list(Counterparty.objects.filter(search_q("новый клиент"))) == [new]  # in the search index
    assert new.main_manager == manager and new.history.get().history_change_reason == job.history_reason
    assert ContactInfo.history.filter(history_change_reason=job.history_reason).count() == 2
    # The same file again with "skip matching rows": nothing changes.
    again = services.create_job(manager, csv_file(["ООО Ещё новее;7707083893;Псков;;;;"]))
    again = run(again, manager, policy="skip_matches")
    assert (again.created_count, again.updated_count, again.skipped_count) == (0, 0, 1)
    existing.refresh_from_db()
    assert existing.city == "Москва"


def test_a_row_that_says_nothing_new_changes_nothing(manager):
    """Importing the same file twice (a sync with accounting): no new version, no history entry."""
    rows = ["ООО Новое имя;7707083893;Москва;+7 916 123-45-67;;Петров Пётр;Директор"]
    run(services.create_job(manager, csv_file(rows)), manager)
    client = Counterparty.objects.get(tax_id="7707083893")
    before = snapshot(), ContactInfo.history.count(), ContactPerson.history.count()
    again = run(services.create_job(manager, csv_file(rows)), manager)
    assert (again.state, again.created_count, again.updated_count, again.skipped_count) == (State.DONE, 0, 0, 1)
    assert (snapshot(), ContactInfo.history.count(), ContactPerson.history.count()) == before
    client.refresh_from_db()
    assert client.version == 1


def test_a_client_changed_by_someone_else_during_the_import_fails_it(manager, monkeypatch):
    """No lost update: the import read version 1, someone saved version 2 meanwhile."""
    existing = CounterpartyFactory(name="ООО Старое", tax_id="7707083893", main_manager=manager, city="Тверь")
    real = importer.FastInserter.update

    def concurrent(self, objects, attnames):
        Counterparty.all_objects.filter(pk=existing.pk).update(version=existing.version + 1, city="Самара")
        return real(self, objects, attnames)

    monkeypatch.setattr(importer.FastInserter, "update", concurrent)
    job = run(services.create_job(manager, csv_file(["ООО Старое;7707083893;Москва;;;;",
                                                     "ООО Другое;7736050003;Казань;;;;"])), manager)
    assert job.state == State.FAILED and "changed by someone else" in job.error
    existing.refresh_from_db()
    assert (existing.city, existing.version) == ("Тверь", 1)
    assert not Counterparty.all_objects.filter(tax_id="7736050003").exists()


def test_similar_rows_are_flagged_and_decided_per_row(manager):
    CounterpartyFactory(name="ООО «Северный ветер»", main_manager=manager)
    phone_owner = CounterpartyFactory(name="АО Звезда", main_manager=manager)
    ContactInfo.objects.create(counterparty=phone_owner, kind="phone", value="+79161234567")
    job = services.create_job(manager, csv_file([
        "ООО Северный ветер;;;;;;",  # similar name
        "Звезда плюс;;;+7 916 123-45-67;;;",  # same phone
        "ООО Северный ветер;;;;;;",  # the same client as row 2 of the file
    ]))
    services.validate(job)
    job.refresh_from_db()
    flagged = {r["row"]: r for r in job.flagged}
    assert set(flagged) == {2, 3, 4}
    assert flagged[2]["matches"][0]["reasons"] == ["name"] and flagged[2]["action"] == "create"
    assert flagged[3]["matches"][0]["reasons"] == ["contact"]
    assert flagged[4]["duplicate_of"] == 2 and flagged[4]["action"] == "skip"
    # Per-row decisions: row 2 is skipped, row 3 updates the client with that phone.
    job = run(job, manager, overrides={"2": "skip", "3": "update"})
    assert (job.created_count, job.updated_count, job.skipped_count) == (0, 1, 2)
    phone_owner.refresh_from_db()
    assert phone_owner.name == "Звезда плюс"
    assert Counterparty.objects.filter(name__icontains="Северный ветер").count() == 1


def test_a_manager_learns_nothing_of_another_managers_client(manager, teammate):
    CounterpartyFactory(name="ООО Чужой секрет", tax_id="7707083893", main_manager=teammate, city="Тверь")
    job = services.create_job(manager, csv_file(["ООО Мой;7707083893;Москва;;;;"]))
    services.validate(job)
    job.refresh_from_db()
    row = job.flagged[0]
    assert row["action"] == "skip" and row["flag"] == "not_yours"
    assert row["matches"] == [{"id": None, "name": "", "reasons": ["tax_id"], "hidden": True}]
    page = services_page(manager, job)
    assert "exists, owned by another manager" in page and "Чужой секрет" not in page
    # Updating it is refused even when asked for.
    services.set_decisions(job, overrides={"2": "update"})
    services.validate(job)
    job.refresh_from_db()
    assert job.summary["errors"] == 1 and job.summary["update"] == 0
    assert Counterparty.objects.get(tax_id="7707083893").city == "Тверь"


def services_page(user, job):
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c.get(job.get_absolute_url()).content.decode()


def test_only_heads_assign_imported_clients_to_others(manager, teammate, head):
    text = "Наименование;Менеджер\r\nООО Раз;manager2\r\n"
    job = services.create_job(manager, upload("m.csv", text))
    services.validate(job)
    job.refresh_from_db()
    assert job.errors[0]["column"] == "Менеджер" and "assign" in job.errors[0]["message"]
    job = run(services.create_job(head, upload("m.csv", text)), head)
    assert Counterparty.objects.get(name="ООО Раз").main_manager == teammate


# --- All or nothing --------------------------------------------------------------------------------

@pytest.fixture
def base_and_file(manager):
    """A client the file updates (city) and 5 000 new ones after it: more than one batch."""
    CounterpartyFactory(name="ООО Первый", tax_id="7707083893", main_manager=manager, city="Тверь")
    first = "ООО Первый;7707083893;Москва;;;;\r\n".encode("cp1251")
    data = samplefile.csv_bytes(5000, encoding="cp1251")
    header, body = data.split(b"\r\n", 1)
    return header + b"\r\n" + first + body


def test_an_error_while_writing_leaves_the_base_as_it_was(manager, base_and_file, monkeypatch):
    before = snapshot()
    job = services.create_job(manager, upload("big.csv", base_and_file))
    real = importer.Writer.create
    calls = []

    def failing(self, batch):
        calls.append(len(batch))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(self, batch)

    monkeypatch.setattr(importer.Writer, "create", failing)
    job = run(job, manager)
    assert job.state == State.FAILED and "disk full" in job.error
    assert calls == [2000, 2000]  # the first batch was written, then rolled back
    assert snapshot() == before


def test_a_cancel_leaves_the_base_as_it_was(manager, base_and_file, monkeypatch):
    before = snapshot()
    job = services.create_job(manager, upload("big.csv", base_and_file))
    real = importer.Writer.create

    def cancel_after_first_batch(self, batch):
        result = real(self, batch)
        services.cancel(ImportJob.objects.get(pk=job.pk))  # the web's cancel button, while it runs
        return result

    monkeypatch.setattr(importer.Writer, "create", cancel_after_first_batch)
    job = run(job, manager)
    assert job.state == State.CANCELLED
    assert snapshot() == before
    assert not live.cancel_requested(job.pk)


def test_cancel_before_the_run(manager):
    job = services.create_job(manager, csv_file(["ООО Раз;;;;;;"]))
    services.cancel(job)
    assert job.state == State.CANCELLED
    with pytest.raises(services.ValidationError):
        services.cancel(job)


def test_ten_thousand_rows(manager):
    job = services.create_job(manager, upload("10k.csv", samplefile.csv_bytes(10_000)))
    job = run(job, manager)
    assert (job.state, job.created_count, job.error) == (State.DONE, 10_000, "")
    assert Counterparty.objects.filter(main_manager=manager).count() == 10_000
    assert ContactPerson.objects.count() == 10_000 and ContactInfo.objects.count() == 20_000
    assert Counterparty.history.filter(history_change_reason=job.history_reason).count() == 10_000
    sample = Counterparty.objects.get(tax_id=samplefile.inn10(770_000_000 + 1234))
    assert sample.contact_persons.get().contact_info.count() == 0
    assert set(sample.contact_info.values_list("kind", flat=True)) == {"phone", "email"}
    # Quick search finds an imported client by its phone (the search text is filled).
    from clients.services import search_q

    assert list(Counterparty.objects.filter(search_q("+7 916 000-12-34")).values_list("pk", flat=True)) == [sample.pk]


def test_the_sample_file_of_the_docs(manager):
    from pathlib import Path

    CounterpartyFactory(name="ООО «Семейный Магазин»", tax_id="7708599507", main_manager=manager)
    data = (Path(__file__).resolve().parents[2] / "docs" / "samples" / "clients-import.csv").read_bytes()
    job = services.create_job(manager, upload("clients-import.csv", data))
    assert (job.encoding, job.delimiter, job.total_rows) == ("cp1251", ";", 5)
    assert "" not in job.mapping
    services.validate(job)
    job.refresh_from_db()
    assert job.summary == {"create": 3, "update": 1, "skip": 0, "errors": 1, "flagged": 1}
    assert [(e["row"], e["column"]) for e in job.errors] == [(6, "ИНН")]


def test_a_twelve_digit_inn_makes_an_individual(manager):
    job = services.create_job(manager, csv_file(["ИП Кузнецов А. А.;771234567859;Москва;;;;"]))
    job = run(job, manager)
    assert job.state == State.DONE, job.error
    assert Counterparty.objects.get(tax_id="771234567859").kind == "individual"


def test_nul_characters_in_a_file_are_dropped_not_a_server_error(admin_user, api):
    """PostgreSQL stores no NUL in text or JSON: a file carrying them still uploads."""
    data = "Наименование;ИН\x00Н\nООО «Ноль\x00»;7707083893\n".encode("cp1251")
    upload = io.BytesIO(data)
    upload.name = "nul\x00.csv"
    response = api(admin_user).post("/api/imports/", {"file": upload, "kind": "clients"}, format="multipart")
    assert response.status_code in (200, 201), response.content
    body = response.json()
    assert "\x00" not in str(body) and "ИНН" in str(body)
