"""Documents from templates: DOCX / PDF content, amount in words, uploaded templates, access, storage."""

import datetime
import importlib
import re
from decimal import Decimal
from io import BytesIO

import docx
import pypdf
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import clear_url_caches

from clients.models import ContactInfo, ContactKind
from clients.tests.factories import CounterpartyFactory
from core.pdf import PdfUnavailable
from sales.management.commands.build_document_templates import build_template
from sales.models import DealLine, Document, DocumentKind, DocumentTemplate, Order, OrderLine, Payment, PlanFact
from sales.services import documents as service
from sales.tests.factories import DealFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.UTC)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def counterparty(manager):
    cp = CounterpartyFactory(name="Ромашка", full_name="ООО «Ромашка»", main_manager=manager)
    ContactInfo.objects.create(counterparty=cp, kind=ContactKind.LEGAL_ADDRESS, value="Москва, ул. Ленина, 1")
    return cp


@pytest.fixture
def deal(manager, counterparty):
    deal = DealFactory(title="Станки", counterparty=counterparty, responsible=manager, currency="RUB")
    DealLine.objects.create(deal=deal, product="Станок токарный", quantity=2, price=Decimal("150000.50"))
    DealLine.objects.create(deal=deal, product="Монтаж", quantity=1, price=Decimal("12345.67"))
    return deal  # total 312 346.67


@pytest.fixture
def order(manager, counterparty):
    order = Order.objects.create(number="A-12", date=datetime.date(2026, 11, 20), counterparty=counterparty,
                                 responsible=manager, currency="EUR")
    OrderLine.objects.create(order=order, product="Пресс гидравлический", quantity=Decimal("1.5"),
                             price=Decimal("1000"), cost=Decimal("700"))
    Payment.objects.create(order=order, kind=PlanFact.PLANNED, date=datetime.date(2026, 11, 1),
                           amount=Decimal("100"), invoice_number="76")  # past: not the one to invoice
    Payment.objects.create(order=order, kind=PlanFact.PLANNED, date=datetime.date(2026, 12, 10),
                           amount=Decimal("1400"), invoice_number="77")
    return order  # total 1 500.00


def docx_text(data):
    document = docx.Document(BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def pdf_text(data):
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(BytesIO(data)).pages)
    return re.sub(r"\s+", " ", text)  # lines wrap anywhere; \s covers the no-break spaces of ru


def stored(doc):
    with doc.file.open("rb") as fh:
        return fh.read()


def make_docx(*paragraphs):
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


# --- content ------------------------------------------------------------------------------------

def test_docx_for_a_deal(deal, manager, counterparty):
    doc = service.generate("proposal", "docx", deal, manager, language="en")
    doc.refresh_from_db()
    assert (doc.deal, doc.order, doc.counterparty, doc.created_by) == (deal, None, counterparty, manager)
    assert doc.kind == "proposal" and doc.format == "docx" and doc.file.name.endswith(".docx")
    assert doc.title == f"Commercial proposal No. {deal.pk} of 11/23/2026 — Ромашка"
    document = docx.Document(BytesIO(stored(doc)))
    rows = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert rows[1] == ["1", "Станок токарный", "2", "150,000.50", "300,001.00"]
    assert rows[2] == ["2", "Монтаж", "1", "12,345.67", "12,345.67"]
    assert rows[3][-1] == "312,346.67"  # the loop rows are gone: header, two lines, total
    text = docx_text(stored(doc))
    assert "ООО «Ромашка»" in text and "Москва, ул. Ленина, 1" in text
    assert "Total: 312,346.67 RUB" in text


def test_docx_invoice_for_an_order_in_russian(order, manager):
    doc = service.generate("invoice", "docx", order, manager, language="ru")
    assert doc.order == order and doc.deal is None
    text = docx_text(stored(doc))
    assert "ООО «Ромашка»" in text and "Пресс гидравлический" in text
    assert "1,5" in text and "1\xa0500,00" in text  # quantity and total in the Russian format
    assert "Одна тысяча пятьсот евро, ноль центов" in text
    assert "10.12.2026" in text  # due date of the next planned payment …
    assert " 77 " in doc.title and "23.11.2026" in doc.title  # … whose invoice number it carries


def test_pdf_invoice_text(deal, manager):
    doc = service.generate("invoice", "pdf", deal, manager, language="ru")
    assert doc.format == "pdf" and doc.template is None
    data = stored(doc)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "Ромашка" in text and "Станок токарный" in text
    assert "312 346,67" in text
    assert "Триста двенадцать тысяч триста сорок шесть рублей, шестьдесят семь копеек" in text


@pytest.mark.parametrize(("amount", "currency", "language", "expected"), [
    ("1234.56", "RUB", "ru", "Одна тысяча двести тридцать четыре рубля, пятьдесят шесть копеек"),
    ("21.05", "MDL", "ru", "Двадцать один лей, пять бань"),
    ("2.00", "USD", "en", "Two dollars, zero cents"),
    ("21.00", "MDL", "ro", "Douăzeci și unu de lei"),
    ("3.50", "EUR", "ro", "Trei euro și cincizeci de cenți"),
    ("7.25", "CHF", "ru", "Семь CHF 25"),  # no words for the currency: plain words
])
def test_amount_in_words(amount, currency, language, expected):
    assert service.amount_in_words(Decimal(amount), currency, language) == expected


def test_every_builtin_template_renders_and_the_builder_reproduces_them(tmp_path):
    for kind in DocumentKind.values:
        for path in (service.builtin_template_path(kind), build_template(kind, tmp_path / f"{kind}.docx")):
            text = docx_text(service.render_docx(path, service.sample_context(kind, "en")))
            assert "ACME Ltd" in text and "Sample product" in text and "3,001.00" in text
            assert "{{" not in text and "{%" not in text


# --- uploaded templates ---------------------------------------------------------------------------

def test_uploaded_template_is_used(client_for, admin_user, manager, deal):
    upload = SimpleUploadedFile("mine.docx", make_docx("OUR OWN LAYOUT for {{ client.name }}: {{ total }}"))
    response = client_for(admin_user).post("/sales/settings/document-templates/new/", {
        "name": "Our invoice", "kind": "invoice", "file": upload, "is_active": "on"})
    assert response.status_code == 302, response.content.decode()
    template = DocumentTemplate.objects.get(name="Our invoice")
    doc = service.generate("invoice", "docx", deal, manager, template=template, language="en")
    assert doc.template == template
    assert "OUR OWN LAYOUT for Ромашка: 312,346.67" in docx_text(stored(doc))
    # Without a choice the kind's active uploaded template is the default; other kinds stay built-in.
    assert "OUR OWN LAYOUT" in docx_text(stored(service.generate("invoice", "docx", deal, manager)))
    assert "OUR OWN LAYOUT" not in docx_text(stored(service.generate("contract", "docx", deal, manager)))
    template.is_active = False
    template.save()
    assert "OUR OWN LAYOUT" not in docx_text(stored(service.generate("invoice", "docx", deal, manager)))


def test_template_edit_keeps_or_removes_the_file(client_for, admin_user, manager, deal):
    template = DocumentTemplate.objects.create(name="Ours", kind="invoice")
    template.file.save("ours.docx", SimpleUploadedFile("ours.docx", make_docx("OURS {{ total }}")))
    client, url = client_for(admin_user), f"/sales/settings/document-templates/{template.pk}/"
    page = client.get(url).content.decode()
    assert f'href="/sales/settings/document-templates/{template.pk}/file/"' in page and "/media/" not in page
    form = {"name": "Renamed", "kind": "invoice", "is_active": "on"}
    assert client.post(url, {**form, "version": template.version}).status_code == 302
    template.refresh_from_db()
    assert template.name == "Renamed" and template.file  # no new upload: the file stays
    assert "OURS" in docx_text(stored(service.generate("invoice", "docx", deal, manager, template=template)))
    assert client.post(url, {**form, "version": template.version, "use_builtin": "on"}).status_code == 302
    template.refresh_from_db()
    assert not template.file
    assert "OURS" not in docx_text(stored(service.generate("invoice", "docx", deal, manager, template=template)))


@pytest.mark.parametrize(("content", "message"), [
    (b"this is not a word document", "is not a DOCX file"),
    (make_docx("{% for line in lines %}{{ line.product }}"), "error in its tags"),
])
def test_broken_upload_is_refused_with_a_reason(client_for, admin_user, content, message):
    response = client_for(admin_user).post("/sales/settings/document-templates/new/", {
        "name": "Broken", "kind": "contract", "file": SimpleUploadedFile("broken.docx", content)})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not DocumentTemplate.objects.exists()


def test_template_settings_are_for_administrators(client_for, admin_user, manager):
    assert client_for(manager).get("/sales/settings/document-templates/new/").status_code == 403
    assert client_for(admin_user).get("/sales/settings/document-templates/").status_code == 200
    sample = client_for(admin_user).get("/sales/settings/document-templates/sample/contract/")
    assert sample.status_code == 200 and sample["Content-Type"] == DOCX_TYPE
    assert "{{ client.legal_name }}" in docx_text(b"".join(sample.streaming_content))
    assert client_for(admin_user).get("/sales/settings/document-templates/sample/other/").status_code == 404


# --- views and access -----------------------------------------------------------------------------

def test_generate_view_and_panel(client_for, manager, deal):
    client = client_for(manager)
    url = f"/sales/deals/{deal.pk}/"
    response = client.post("/sales/documents/generate/", {
        "deal": deal.pk, "kind": "contract", "format": "docx", "next": url}, follow=True)
    assert response.redirect_chain[-1][0] == url
    doc = Document.objects.get()
    page = response.content.decode()
    assert f'data-testid="document-{doc.pk}"' in page and f'href="/sales/documents/{doc.pk}/download/"' in page
    assert 'data-testid="document-generate"' in page
    download = client.get(f"/sales/documents/{doc.pk}/download/")
    assert download.status_code == 200 and download["Content-Type"] == DOCX_TYPE
    assert download["Content-Disposition"].startswith("attachment;")
    assert "Ромашка" in docx_text(b"".join(download.streaming_content))


def test_order_card_panel(client_for, manager, order):
    url = f"/sales/orders/{order.pk}/"
    response = client_for(manager).post("/sales/documents/generate/", {
        "order": order.pk, "kind": "invoice", "format": "pdf", "language": "en"}, follow=True)
    assert response.redirect_chain[-1][0] == url
    doc = Document.objects.get(order=order)
    assert f'data-testid="document-{doc.pk}"' in response.content.decode()
    assert "1,500.00 EUR" in pdf_text(stored(doc)) and "12/10/2026" in pdf_text(stored(doc))


def test_outsiders_get_404(client_for, manager, teammate, quality, deal):
    doc = service.generate("invoice", "docx", deal, manager)
    for user in (teammate, quality):
        client = client_for(user)
        assert client.get(f"/sales/documents/{doc.pk}/download/").status_code == (404 if user == teammate else 200)
        response = client.post("/sales/documents/generate/", {"deal": deal.pk, "kind": "invoice", "format": "pdf"})
        assert response.status_code == 404  # teammate: not their deal; quality: may not change it
        assert client.post(f"/sales/documents/{doc.pk}/delete/").status_code == 404
    assert Document.objects.count() == 1
    assert client_for(manager).get("/sales/documents/999999/download/").status_code == 404
    from django.test import Client

    assert Client().get(f"/sales/documents/{doc.pk}/download/").status_code == 302  # to the login page


def test_panel_lists_only_the_managers_documents(client_for, manager, teammate, sales_head):
    # The manager is responsible for the deal, the client belongs to the teammate.
    deal = DealFactory(counterparty=CounterpartyFactory(main_manager=teammate), responsible=manager)
    mine = service.generate("proposal", "docx", deal, manager)
    theirs = service.generate("contract", "docx", deal, teammate)
    page = client_for(manager).get(f"/sales/deals/{deal.pk}/").content.decode()
    assert f'data-testid="document-{mine.pk}"' in page and f'data-testid="document-{theirs.pk}"' not in page
    page = client_for(sales_head).get(f"/sales/deals/{deal.pk}/").content.decode()
    assert f'data-testid="document-{mine.pk}"' in page and f'data-testid="document-{theirs.pk}"' in page


def test_pdf_unavailable_is_a_message(client_for, manager, deal, monkeypatch):
    def no_pango(html, base_url=None):
        raise PdfUnavailable("PDF output needs the Pango library")

    monkeypatch.setattr(service, "html_to_pdf", no_pango)
    response = client_for(manager).post("/sales/documents/generate/", {
        "deal": deal.pk, "kind": "invoice", "format": "pdf"}, follow=True)
    assert "PDF output needs the Pango library" in response.content.decode()
    assert not Document.objects.exists()


def test_delete_and_restore_through_the_trash(client_for, manager, deal):
    doc = service.generate("invoice", "docx", deal, manager)
    client = client_for(manager)
    assert client.post(f"/sales/documents/{doc.pk}/delete/").url == f"/sales/deals/{deal.pk}/"
    assert client.get(f"/sales/documents/{doc.pk}/download/").status_code == 404
    assert doc.title in client.get("/trash/").content.decode()
    client.post(f"/trash/sales.document/{doc.pk}/restore/")
    assert client.get(f"/sales/documents/{doc.pk}/download/").status_code == 200


def test_files_are_not_reachable_by_a_public_url(client_for, settings, manager, deal):
    doc = service.generate("invoice", "docx", deal, manager)
    assert doc.file.path.startswith(str(settings.MEDIA_ROOT))
    public = f"/{settings.MEDIA_URL.strip('/')}/{doc.file.name}"
    import klientura.urls

    settings.DEBUG = True  # not even the development server serves MEDIA_ROOT
    try:
        importlib.reload(klientura.urls)
        clear_url_caches()
        assert client_for(manager).get(public).status_code == 404
    finally:
        settings.DEBUG = False
        importlib.reload(klientura.urls)
        clear_url_caches()


# --- API ------------------------------------------------------------------------------------------

def test_api_lists_only_own_documents(api, manager, teammate, sales_head, deal):
    other = DealFactory(counterparty=CounterpartyFactory(main_manager=teammate), responsible=teammate)
    mine = service.generate("invoice", "docx", deal, manager)
    theirs = service.generate("invoice", "docx", other, teammate)
    ids = [row["id"] for row in api(manager).get("/api/documents/").json()["results"]]
    assert ids == [mine.pk]
    assert "file" not in api(manager).get(f"/api/documents/{mine.pk}/").json()
    assert api(manager).get(f"/api/documents/{theirs.pk}/").status_code == 404
    assert api(manager).get(f"/api/documents/{theirs.pk}/download/").status_code == 404
    rows = api(sales_head).get("/api/documents/", {"deal": other.pk}).json()["results"]
    assert [row["id"] for row in rows] == [theirs.pk]
    assert api(sales_head).get("/api/documents/", {"kind": "contract"}).json()["results"] == []
    response = api(manager).get(f"/api/documents/{mine.pk}/download/")
    assert response.status_code == 200 and response["Content-Type"] == DOCX_TYPE


def test_api_generate(api, manager, teammate, quality, deal, order):
    response = api(manager).post("/api/documents/generate/", {"kind": "invoice", "format": "pdf", "deal": deal.pk},
                                 format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["deal"] == deal.pk and body["format"] == "pdf"
    pdf = api(manager).get(body["download_url"])
    assert "312 346" in pdf_text(b"".join(pdf.streaming_content)).replace(",", " ")
    response = api(manager).post("/api/documents/generate/", {"kind": "contract", "format": "docx",
                                                              "order": order.pk, "language": "ru"}, format="json")
    assert response.status_code == 201 and response.json()["order"] == order.pk
    assert api(teammate).post("/api/documents/generate/", {"kind": "invoice", "format": "docx", "deal": deal.pk},
                              format="json").status_code == 400
    assert api(quality).post("/api/documents/generate/", {"kind": "invoice", "format": "docx", "deal": deal.pk},
                             format="json").status_code == 403
    assert api(manager).post("/api/documents/", {}, format="json").status_code == 405
    assert Document.objects.count() == 2


def test_api_templates_upload(api, admin_user, manager):
    data = {"name": "Ours", "kind": "proposal", "is_active": True,
            "file": SimpleUploadedFile("ours.docx", make_docx("{{ client.name }}"))}
    assert api(manager).post("/api/document-templates/", data, format="multipart").status_code == 403
    data["file"] = SimpleUploadedFile("ours.docx", make_docx("{{ client.name }}"))
    response = api(admin_user).post("/api/document-templates/", data, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["file_name"].endswith(".docx") and "file" not in response.json()
    download = api(manager).get(response.json()["download_url"])
    assert download.status_code == 200 and "{{ client.name }}" in docx_text(b"".join(download.streaming_content))
    data["file"] = SimpleUploadedFile("bad.docx", b"garbage")
    response = api(admin_user).post("/api/document-templates/", data, format="multipart")
    assert response.status_code == 400 and "is not a DOCX file" in response.json()["file"][0]


# --- the seller's bank details (issue 9, item 9) -------------------------------------------------

BANK = "р/с 40702810938000012345 в ПАО Сбербанк, БИК 044525225"


@pytest.fixture
def seller(settings):
    settings.KLIENTURA_COMPANY_LEGAL_NAME = "ООО «Лидер»"
    settings.KLIENTURA_COMPANY_PHONE = "+7 495 123-45-67"
    settings.KLIENTURA_COMPANY_BANK = BANK


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
@pytest.mark.parametrize("kind", ["invoice", "contract"])
def test_invoice_and_contract_carry_the_sellers_bank_details(seller, deal, manager, kind, fmt):
    data = stored(service.generate(kind, fmt, deal, manager, language="ru"))
    text = docx_text(data) if fmt == "docx" else pdf_text(data)
    assert f"Банковские реквизиты: {BANK}" in text or f"Bank details: {BANK}" in text
    assert text.count(BANK) == 1  # once, not in the header and the parties both
    assert "ООО «Лидер»" in text and "+7 495 123-45-67" in text


def test_no_bank_line_without_the_setting(settings, deal, manager):
    settings.KLIENTURA_COMPANY_BANK = ""
    text = docx_text(stored(service.generate("invoice", "docx", deal, manager, language="en")))
    assert "Bank details" not in text


def test_demo_seller_has_bank_details(monkeypatch):
    """In demo mode «Лидер» has a phone and bank details, so the demo invoice is complete."""
    import klientura.settings as module

    monkeypatch.setenv("KLIENTURA_DEMO", "1")
    monkeypatch.delenv("KLIENTURA_COMPANY_BANK", raising=False)
    demo = importlib.reload(module)
    try:
        assert demo.DEMO_MODE and "БИК" in demo.KLIENTURA_COMPANY_BANK and demo.KLIENTURA_COMPANY_PHONE
    finally:
        monkeypatch.undo()
        importlib.reload(module)
