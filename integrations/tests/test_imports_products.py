"""Imports of the product catalogue: mapping, per-row errors, categories, upsert by article, all or
nothing, who may import, the API and XLSX input."""

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from integrations.imports import fields, services
from integrations.imports import products as importer
from integrations.models import ImportJob
from sales.models import Product, ProductCategory

pytestmark = pytest.mark.django_db
State = ImportJob.State

HEADER = "Наименование;Артикул;Категория;Ед. изм.;Цена;Валюта;Описание;Активен\r\n"


def csv_file(rows, header=HEADER, encoding="cp1251"):
    text = header + "".join(r + "\r\n" for r in rows)
    return SimpleUploadedFile("products.csv", text.encode(encoding))


def run(job, user, **decisions):
    services.validate(job)
    services.start(job, user, **decisions)
    services.run(job.pk)
    job.refresh_from_db()
    return job


@pytest.fixture
def catalogue():
    """A category tree and two products, as the demo's catalogue has them."""
    equipment = ProductCategory.objects.create(name="Холодильное оборудование")
    cabinets = ProductCategory.objects.create(name="Шкафы и лари", parent=equipment)
    chest = Product.objects.create(name="Ларь морозильный 400 л", article="ЛМ-0400", category=cabinets,
                                   price=Decimal("38000"))
    mounting = Product.objects.create(name="Монтаж холодильной камеры", price=Decimal("28000"), unit="svc",
                                      kind="service")
    return {"equipment": equipment, "cabinets": cabinets, "chest": chest, "mounting": mounting}


def snapshot():
    return (Product.all_objects.count(), ProductCategory.all_objects.count(), Product.history.count(),
            sorted(Product.all_objects.values_list("pk", "price", "version")))


# --- Mapping ---------------------------------------------------------------------------------------

def test_mapping_is_guessed_from_russian_english_and_romanian_headers():
    assert fields.guess("products", ["Наименование", "Артикул", "Категория", "Ед. изм.", "Цена", "Ставка НДС",
                                     "Себестоимость", "Активен"]) == [
        "name", "article", "category", "unit", "price", "vat_rate", "cost", "is_active"]
    assert fields.guess("products", ["Product name", "SKU", "Category", "Unit", "Price", "Currency", "VAT",
                                     "Description"]) == [
        "name", "article", "category", "unit", "price", "currency", "vat_rate", "description"]
    assert fields.guess("products", ["Denumire", "Cod articol", "Categorie", "Unitate de măsură", "Preț", "Valuta",
                                     "Cota TVA", "Descriere", "Activ"]) == [
        "name", "article", "category", "unit", "price", "currency", "vat_rate", "description", "is_active"]
    assert fields.check("products", ["", "article"]) == ["Choose the column with the product's name."]


# --- Validation ------------------------------------------------------------------------------------

def test_every_row_is_validated_with_the_product_fields_validators(head, catalogue):
    job = services.create_job(head, csv_file([
        "Витрина «Илеть» 1,2 м;ВХ-ИЛ-120;Холодильные витрины;шт;78 000,00;руб.;;да",
        "Плохая цена;П-1;;шт;договорная;;;",
        "Отрицательная;П-2;;шт;-5;;;",
        "Лишние знаки;П-3;;шт;10,555;;;",
        "Плохая единица;П-4;;вёдра;10;;;",
        ";П-5;;шт;10;;;",
        "Плохая валюта;П-6;;шт;10;рубли денежные;;",
        "Плохой флаг;П-7;;шт;10;;;может быть",
    ], header=HEADER), kind="products")
    services.validate(job)
    job.refresh_from_db()
    found = {(e["row"], e["column"]) for e in job.errors}
    assert found == {(3, "Цена"), (4, "Цена"), (5, "Цена"), (6, "Ед. изм."), (7, "Наименование"), (8, "Валюта"),
                     (9, "Активен")}
    assert job.summary["create"] == 1 and job.summary["errors"] == 7
    messages = {e["row"]: e["message"] for e in job.errors}
    assert "not a number" in messages[3] and "greater than or equal to 0" in messages[4]
    assert "decimal places" in messages[5]
    # The new category is shown as such in the preview.
    assert job.preview[0]["values"]["category"] == "Холодильные витрины (new)"
    assert job.preview[0]["values"]["price"] == "78000.00 RUB"


def test_an_unknown_category_is_created_a_known_one_found_by_name_or_path(head, catalogue):
    job = services.create_job(head, csv_file([
        "Шкаф морозильный 700 л;ШМ-0700;Шкафы и лари;шт;84000;;;",  # by name
        "Ларь 300 л;ЛМ-0300;Холодильное оборудование / Шкафы и лари;шт;31000;;;нет",  # by path
        "Воздухоохладитель;ВО-04;Холодильное оборудование / Комплектующие;шт;47000;;;",  # new under a known one
        "Конденсатор;КД-08;Холодильное оборудование/Комплектующие;шт;41000;;;",  # the same new one
        "Завеса ПВХ;ЗП-ПВХ;Расходники;м;3400;;;",  # new at the top
    ]), kind="products")
    job = run(job, head)
    assert (job.state, job.created_count, job.error) == (State.DONE, 5, "")
    cabinets, equipment = catalogue["cabinets"], catalogue["equipment"]
    assert Product.objects.get(article="ШМ-0700").category == cabinets
    inactive = Product.objects.get(article="ЛМ-0300")
    assert inactive.category == cabinets and inactive.is_active is False
    parts = ProductCategory.objects.get(name="Комплектующие")
    assert parts.parent == equipment
    assert Product.objects.get(article="КД-08").category == parts
    assert ProductCategory.objects.get(name="Расходники").parent is None
    assert Product.objects.get(article="ЗП-ПВХ").unit == "m"
    assert parts.history.get().history_change_reason == job.history_reason


def test_an_ambiguous_category_name_is_an_error(head, catalogue):
    ProductCategory.objects.create(name="Шкафы и лари", parent=ProductCategory.objects.create(name="Б/у"))
    job = services.create_job(head, csv_file(["Шкаф;Ш-1;Шкафы и лари;шт;1;;;",
                                              "Шкаф 2;Ш-2;Б/у / Шкафы и лари;шт;1;;;"]), kind="products")
    services.validate(job)
    job.refresh_from_db()
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "Категория")]
    assert "path" in job.errors[0]["message"]
    assert job.preview[1]["values"]["category"] == "Б/у / Шкафы и лари"


def test_a_vat_rate_other_than_the_company_rate_is_an_error(head, settings):
    settings.KLIENTURA_VAT_RATE = "20"
    text = "Наименование;Цена;Ставка НДС\r\nРаз;100;20%\r\nДва;100;10 %\r\nТри;100;без НДС\r\nЧетыре;100;много\r\n"
    job = services.create_job(head, SimpleUploadedFile("vat.csv", text.encode("cp1251")), kind="products")
    services.validate(job)
    job.refresh_from_db()
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "Ставка НДС"), (4, "Ставка НДС"), (5, "Ставка НДС")]


# --- Duplicates and upsert -------------------------------------------------------------------------

def test_update_by_article_then_by_name_create_the_rest(head, catalogue):
    job = services.create_job(head, csv_file([
        "Ларь морозильный 400 л (новая модель);лм-0400;;шт;41 500;;Новый компрессор;",  # article, any case
        "монтаж холодильной камеры;;;усл;30000;;;",  # name, no article on either side
        "Ларь морозильный 400 л;ДРУГОЙ-1;;шт;1;;;",  # same name, another article: flagged, created
        "Новый товар;НТ-1;;шт;100;;;",
        "Новый товар ещё раз;нт-1;;шт;200;;;",  # repeats row 5's article: skipped
    ]), kind="products")
    services.validate(job)
    job.refresh_from_db()
    assert job.summary == {"create": 2, "update": 2, "skip": 1, "errors": 0, "flagged": 4}
    flagged = {r["row"]: r for r in job.flagged}
    assert flagged[4]["flag"] == "similar" and flagged[4]["matches"][0]["reasons"] == ["name"]
    assert flagged[6]["duplicate_of"] == 5
    job = run(job, head)
    assert (job.state, job.created_count, job.updated_count, job.skipped_count) == (State.DONE, 2, 2, 1)
    chest = catalogue["chest"]
    chest.refresh_from_db()
    assert (chest.name, chest.price, chest.description, chest.version) == (
        "Ларь морозильный 400 л (новая модель)", Decimal("41500.00"), "Новый компрессор", 2)
    assert chest.article == "лм-0400" and chest.category == catalogue["cabinets"]  # empty cells change nothing
    record = chest.history.first()
    assert record.history_type == "~" and record.history_user == head
    assert record.history_change_reason == job.history_reason
    catalogue["mounting"].refresh_from_db()
    assert catalogue["mounting"].price == Decimal("30000.00")
    assert Product.objects.get(article="ДРУГОЙ-1").price == Decimal("1.00")
    new = Product.objects.get(article="НТ-1")
    assert new.price == Decimal("100") and new.currency == "RUB"
    assert new.history.get().history_change_reason == job.history_reason


def test_a_row_that_says_nothing_new_changes_nothing(head, catalogue):
    rows = ["Ларь морозильный 400 л (новая модель);лм-0400;;шт;41 500;;Новый компрессор;"]
    run(services.create_job(head, csv_file(rows), kind="products"), head)
    chest = catalogue["chest"]
    chest.refresh_from_db()
    versions = chest.version, chest.history.count()
    again = run(services.create_job(head, csv_file(rows), kind="products"), head)
    assert (again.state, again.updated_count, again.skipped_count) == (State.DONE, 0, 1)
    chest.refresh_from_db()
    assert (chest.version, chest.history.count()) == versions


def test_skip_matching_rows_and_per_row_decisions(head, catalogue):
    job = services.create_job(head, csv_file(["Ларь;ЛМ-0400;;шт;1;;;", "Ларь морозильный 400 л;X-1;;шт;2;;;"]),
                              kind="products")
    job = run(job, head, policy="skip_matches", overrides={"3": "update"})
    assert (job.created_count, job.updated_count, job.skipped_count) == (0, 1, 1)
    catalogue["chest"].refresh_from_db()
    assert (catalogue["chest"].price, catalogue["chest"].article) == (Decimal("2.00"), "X-1")


# --- All or nothing --------------------------------------------------------------------------------

def many_rows(count):
    return [f"Товар {i};А-{i:05d};Новая категория;шт;{i};;;" for i in range(count)]


def test_an_error_while_writing_leaves_the_catalogue_as_it_was(head, catalogue, monkeypatch):
    before = snapshot()
    job = services.create_job(head, csv_file(["Ларь;ЛМ-0400;;шт;1;;;", *many_rows(2500)]), kind="products")

    def failing(self, batch):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer.Writer, "update", failing)
    job = run(job, head)
    assert job.state == State.FAILED and "disk full" in job.error
    assert snapshot() == before  # the created products and the new category were rolled back


def test_a_cancel_leaves_the_catalogue_as_it_was(head, catalogue, monkeypatch):
    before = snapshot()
    job = services.create_job(head, csv_file(many_rows(4500)), kind="products")
    real = importer.Writer.create

    def cancel_after_first_batch(self, batch):
        result = real(self, batch)
        services.cancel(ImportJob.objects.get(pk=job.pk))
        return result

    monkeypatch.setattr(importer.Writer, "create", cancel_after_first_batch)
    job = run(job, head)
    assert job.state == State.CANCELLED
    assert snapshot() == before


# --- Who may import, API, XLSX, sample ----------------------------------------------------------------

def test_only_who_may_add_products_imports_them(api, client_for, manager, marketer, head):
    assert services.may_import(head, "products") and not services.may_import(manager, "products")
    assert not services.may_import(marketer, "products")
    data = {"file": csv_file(["Раз;Р-1;;шт;1;;;"]), "kind": "products"}
    assert api(manager).post("/api/imports/", data, format="multipart").status_code == 403
    with pytest.raises(services.PermissionDenied):
        services.create_job(manager, csv_file(["Раз;Р-1;;шт;1;;;"]), kind="products")
    resp = client_for(manager).post(reverse("integrations:import_add"),
                                    {"file": csv_file(["Раз;Р-1;;шт;1;;;"]), "kind": "products"})
    assert resp.status_code == 403
    page = client_for(manager).get(reverse("integrations:import_add")).content.decode()
    assert 'value="clients"' in page and 'value="products"' not in page and 'value="interactions"' in page
    page = client_for(head).get(reverse("integrations:import_add") + "?kind=products").content.decode()
    assert '<option value="products" selected>' in page
    assert not Product.objects.exists()


def test_a_marketer_may_not_start_a_heads_product_import(api, head, marketer, catalogue):
    job = services.create_job(head, csv_file(["Ларь;ЛМ-0400;;шт;1;;;"]), kind="products")
    services.validate(job)
    assert api(marketer).post(f"/api/imports/{job.pk}/run/", {}, format="json").status_code == 403
    job.refresh_from_db()
    assert job.state == State.VALIDATED


def test_api_round_trip(api, head, catalogue, django_capture_on_commit_callbacks):
    c = api(head)
    resp = c.post("/api/imports/", {"file": csv_file(["Ларь;ЛМ-0400;;шт;39 900;;;", "Новый;Н-1;;кг;10,5;EUR;;"]),
                                    "kind": "products"}, format="multipart")
    assert resp.status_code == 201, resp.content
    job = resp.json()
    assert job["kind"] == "products" and job["state"] == "validated" and job["policy"] == "update_tax_id"
    assert job["summary"]["create"] == 1 and job["summary"]["update"] == 1
    assert c.post(f"/api/imports/{job['id']}/run/", {"policy": "nope"}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        resp = c.post(f"/api/imports/{job['id']}/run/", {"policy": "update_tax_id"}, format="json")
    assert resp.status_code == 202, resp.content
    services.run(job["id"])
    body = c.get(f"/api/imports/{job['id']}/").json()
    assert (body["state"], body["created_count"], body["updated_count"]) == ("done", 1, 1)
    new = Product.objects.get(article="Н-1")
    assert (new.unit, new.price, new.currency) == ("kg", Decimal("10.50"), "EUR")
    # A mapping sent with the file; the product page is linked from the preview.
    resp = c.post("/api/imports/", {"file": csv_file(["Ларь;ЛМ-0400;;шт;1;;;"], header="A;B;C;D;E;F;G;H\r\n"),
                                    "kind": "products",
                                    "mapping": json.dumps(["name", "article", "", "", "price", "", "", ""])},
                  format="multipart")
    assert resp.status_code == 201 and resp.json()["summary"]["update"] == 1


def test_xlsx_with_numbers_and_the_preview_page(head, client_for, catalogue):
    book = Workbook()
    sheet = book.active
    sheet.append(["Denumire", "Cod articol", "Preț", "Unitate de măsură", "Activ"])
    sheet.append(["Ларь морозильный 400 л", "ЛМ-0400", 40500.5, "buc", "da"])
    sheet.append(["Serviciu nou", 1001, 1500, "serviciu", "nu"])
    buffer = io.BytesIO()
    book.save(buffer)
    job = services.create_job(head, SimpleUploadedFile("p.xlsx", buffer.getvalue()), kind="products")
    assert job.file_format == "xlsx" and job.mapping == ["name", "article", "price", "unit", "is_active"]
    services.validate(job)
    page = client_for(head).get(job.get_absolute_url()).content.decode()
    assert "Rows matching a product: decide" in page and "When a row matches a product" in page
    assert "ЛМ-0400" in page and reverse("sales:product", args=[catalogue["chest"].pk]) in page
    job = run(job, head)
    assert (job.state, job.created_count, job.updated_count) == (State.DONE, 1, 1), job.error
    catalogue["chest"].refresh_from_db()
    assert catalogue["chest"].price == Decimal("40500.50")
    service = Product.objects.get(article="1001")
    assert (service.kind, service.unit, service.is_active) == ("service", "svc", False)


def test_the_sample_file_of_the_docs(head, catalogue):
    data = (Path(__file__).resolve().parents[2] / "docs" / "samples" / "products-import.csv").read_bytes()
    job = services.create_job(head, SimpleUploadedFile("products-import.csv", data), kind="products")
    assert (job.encoding, job.delimiter) == ("cp1251", ";")
    assert "" not in job.mapping
    services.validate(job)
    job.refresh_from_db()
    assert job.summary["errors"] == 1 and job.summary["update"] == 1
    assert [e["column"] for e in job.errors] == ["Цена"]
