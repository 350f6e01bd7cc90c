"""Documents from templates: the context of a deal or an order, DOCX (docxtpl) and PDF (WeasyPrint).

One context feeds both outputs. Labels come from gettext in the document's language, so the
built-in DOCX templates (sales/document_templates/, rebuilt by ``build_document_templates``)
serve every UI language; administrators may upload their own DOCX with the same tags.
"""

import copy
import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.text import get_valid_filename, slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from clients.models import PHONE_KINDS, ContactKind
from core.pdf import html_to_pdf

from ..models import Deal, Document, DocumentKind, DocumentTemplate, Order, PlanFact

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "document_templates"
CONTENT_TYPES = {
    Document.Format.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    Document.Format.PDF: "application/pdf",
}
MAX_TEMPLATE_SIZE = 10 * 1024 * 1024
CENT = Decimal("0.01")

# Currencies num2words lacks in a language: (unit forms, subunit forms) as its CURRENCY_FORMS hold them.
_RO_FORMS = {
    "EUR": (("euro", "euro", "de euro"), ("cent", "cenți", "de cenți")),
    "USD": (("dolar", "dolari", "de dolari"), ("cent", "cenți", "de cenți")),
    "RUB": (("rublă", "ruble", "de ruble"), ("copeică", "copeici", "de copeici")),
    "MDL": (("leu", "lei", "de lei"), ("ban", "bani", "de bani")),
}
EXTRA_CURRENCY_FORMS = {
    "ru": {"MDL": (("лей", "лея", "леев"), ("бан", "бана", "бань"))},
    "en": {"MDL": (("leu", "lei"), ("ban", "bani"))},
    "ro": _RO_FORMS,
}


class DocumentError(Exception):
    """A document could not be made; the message is for the user."""


# --- formatting (call under translation.override(language)) -----------------------------------

def fmt_money(value):
    return number_format(Decimal(value).quantize(CENT), 2, force_grouping=True)


def fmt_quantity(value):
    value = Decimal(value)
    places = 0 if value == value.to_integral_value() else min(-value.normalize().as_tuple().exponent, 3)
    return number_format(value, places, force_grouping=True)


def fmt_date(value):
    return date_format(value, "SHORT_DATE_FORMAT") if value else ""


def amount_in_words(amount, currency, language):
    """"One thousand … roubles, 56 kopecks" in ``language``; plain words for unknown currencies."""
    from num2words import CONVERTER_CLASSES

    amount = Decimal(amount).quantize(CENT, ROUND_HALF_UP)
    converter = CONVERTER_CLASSES.get(language) or CONVERTER_CLASSES["en"]
    extra = EXTRA_CURRENCY_FORMS.get(language, {}).get(currency)
    if extra:
        converter = copy.copy(converter)  # never mutate the library's shared converter
        converter.CURRENCY_FORMS = {**converter.CURRENCY_FORMS, currency: extra}
    try:
        words = converter.to_currency(amount, currency=currency)
    except (NotImplementedError, KeyError, IndexError):
        units, cents = divmod(amount, 1)
        words = f"{converter.to_cardinal(int(units))} {currency} {int(cents * 100):02d}"
    return words[:1].upper() + words[1:]


# --- context ----------------------------------------------------------------------------------

def labels(kind):
    """Every fixed text of a document, in the active language (templates hold tags only)."""
    return {
        "kind": str(DocumentKind(kind).label),
        "n": _("No."), "product": _("Product"), "quantity": _("Quantity"), "price": _("Price"),
        "amount": _("Amount"), "total": _("Total"), "seller": _("Seller"), "client": _("Client"),
        "to": pgettext("addressee", "To"), "tax_id": _("Tax ID"), "kpp": _("KPP"), "ogrn": _("OGRN"),
        "address": _("Address"), "phone": _("Phone"), "email": _("Email"), "bank": _("Bank details"),
        "manager": _("Manager"), "amount_in_words": _("Amount in words"),
        "payment_due": _("Payment due by"), "date": _("Date"),
        "proposal_intro": _("We are pleased to offer you the following products and services:"),
        "proposal_validity": _("This proposal is valid for 30 days."),
        "contract_subject": _("1. The Seller supplies and the Client accepts and pays for the products "
                              "listed in this contract."),
        "contract_price": _("2. The total price of the contract is stated below; it includes all the "
                            "Seller's costs of delivery."),
        "contract_payment": _("3. The Client pays on the Seller's invoice within five banking days."),
        "contract_delivery": _("4. The products are delivered within ten working days after payment."),
        "contract_disputes": _("5. Disputes are settled by negotiation, failing that in court at the "
                               "Seller's location."),
    }


def _details(parts):
    return ", ".join(f"{label} {value}" if label else value for label, value in parts if value)


def client_context(counterparty):
    infos = list(counterparty.contact_info.filter(contact_person__isnull=True))
    by_kind = {}
    for info in infos:
        by_kind.setdefault(info.kind, []).append(info.display_value)
    address = next(iter(by_kind.get(ContactKind.LEGAL_ADDRESS) or by_kind.get(ContactKind.ACTUAL_ADDRESS)
                        or [counterparty.city]), "")
    phones = ", ".join(v for info in infos if info.kind in PHONE_KINDS for v in [info.display_value])
    email = ", ".join(by_kind.get(ContactKind.EMAIL, []))
    client = {
        "name": counterparty.name, "legal_name": counterparty.full_name or counterparty.name,
        "tax_id": counterparty.tax_id, "kpp": counterparty.kpp, "ogrn": counterparty.ogrn,
        "address": address, "phone": phones, "email": email,
    }
    client["details"] = _details([
        (_("Tax ID"), client["tax_id"]), (_("KPP"), client["kpp"]), (_("OGRN"), client["ogrn"]),
        ("", address), (_("Phone"), phones), (_("Email"), email)])
    return client


def seller_context():
    seller = {
        "name": settings.KLIENTURA_COMPANY_NAME,
        "legal_name": settings.KLIENTURA_COMPANY_LEGAL_NAME or settings.KLIENTURA_COMPANY_NAME,
        "tax_id": settings.KLIENTURA_COMPANY_TAX_ID, "address": settings.KLIENTURA_COMPANY_ADDRESS,
        "phone": settings.KLIENTURA_COMPANY_PHONE, "bank": settings.KLIENTURA_COMPANY_BANK,
    }
    seller["details"] = _details([(_("Tax ID"), seller["tax_id"]), ("", seller["address"]),
                                  (_("Phone"), seller["phone"])])
    return seller


def _vat_rate():
    try:
        return Decimal(str(settings.KLIENTURA_VAT_RATE or "0"))
    except InvalidOperation:
        return Decimal("0")


def _source_lines(source):
    # A catalogue product's article follows the name ("… (art. ВХ-1200)"), in any template.
    lines = [(line.product_label, line.quantity, line.price) for line in source.lines.select_related("catalog_product")]
    if not lines and isinstance(source, Deal) and source.amount:
        lines = [(source.title, Decimal("1"), source.amount)]  # a deal priced as a whole
    return lines


def planned_invoice(order, today):
    """The order's planned payment an invoice is for: the next one due, else the last one."""
    planned = list(order.payments.filter(kind=PlanFact.PLANNED).order_by("date", "pk"))
    upcoming = [p for p in planned if p.date >= today]
    return (upcoming or planned[-1:] or [None])[0]


def build_context(kind, *, client, lines, currency, number, date, language, manager=None,
                  due_date=None, extra=None):
    """The template context; money, quantities and dates formatted for ``language``."""
    with translation.override(language):
        rows, total = [], Decimal("0")
        for n, (product, quantity, price) in enumerate(lines, start=1):
            line_total = (Decimal(quantity) * Decimal(price)).quantize(CENT, ROUND_HALF_UP)
            total += line_total
            rows.append({"n": n, "product": product, "quantity": fmt_quantity(quantity),
                         "price": fmt_money(price), "total": fmt_money(line_total)})
        rate = _vat_rate()
        vat = (total * rate / (100 + rate)).quantize(CENT, ROUND_HALF_UP) if rate else None
        kind_label = str(DocumentKind(kind).label)
        heading = _("%(kind)s No. %(number)s of %(date)s") % {
            "kind": kind_label, "number": number, "date": fmt_date(date)}
        return {
            "language": language, "kind": kind, "kind_label": kind_label, "heading": heading,
            "title": _("%(heading)s — %(client)s") % {"heading": heading, "client": client["name"]},
            "number": str(number), "date": fmt_date(date), "date_long": date_format(date, "DATE_FORMAT"),
            "client": client, "seller": seller_context(), "lines": rows,
            "total": fmt_money(total), "total_value": total, "currency": currency,
            "vat_rate": number_format(rate) if rate else "", "vat": fmt_money(vat) if vat is not None else "",
            "vat_text": (_("Including VAT %(rate)s%%: %(vat)s") % {"rate": number_format(rate),
                                                                    "vat": fmt_money(vat)})
            if vat is not None else _("Without VAT"),
            "amount_in_words": amount_in_words(total, currency, language),
            "due_date": fmt_date(due_date),
            "manager": str(manager or ""), "manager_phone": getattr(manager, "phone", "") or "",
            "labels": labels(kind),
            **(extra or {}),
        }


def document_context(deal=None, order=None, language=None, kind=DocumentKind.INVOICE, today=None):
    """Context of a document made from a deal or an order."""
    source = order if order is not None else deal
    if source is None:
        raise ValueError("document_context() needs a deal or an order")
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    today = today or timezone.localdate()
    number, due_date = source.pk, None
    with translation.override(language):
        if isinstance(source, Order):
            number = source.number or source.pk
            invoice = planned_invoice(source, today) if kind == DocumentKind.INVOICE else None
            if invoice is not None:
                due_date = invoice.date
                number = invoice.invoice_number or number
            extra = {"order": {"number": source.number or str(source.pk), "date": fmt_date(source.date)},
                     "deal": {"title": source.deal.title if source.deal_id else ""}}
        else:
            extra = {"deal": {"title": source.title}, "order": {"number": "", "date": ""}}
        client = client_context(source.counterparty)
        lines = _source_lines(source)  # the article's label in the document's language
    return build_context(kind, client=client, lines=lines, currency=source.currency,
                         number=number, date=today, language=language, manager=source.responsible,
                         due_date=due_date, extra=extra)


def sample_context(kind, language=None):
    """A made-up context to check an uploaded template with."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        client = {"name": "ACME", "legal_name": "ACME Ltd", "tax_id": "7701234567", "kpp": "770101001",
                  "ogrn": "", "address": "Moscow", "phone": "+7 495 000-00-00", "email": "info@example.com"}
        client["details"] = _details([(_("Tax ID"), client["tax_id"]), ("", client["address"])])
    today = timezone.localdate()
    return build_context(kind, client=client, lines=[("Sample product", Decimal("2"), Decimal("1500.50"))],
                         currency=settings.KLIENTURA_CURRENCY, number=1, date=today, language=language,
                         manager="Manager", due_date=today + datetime.timedelta(days=5),
                         extra={"deal": {"title": "Sample deal"}, "order": {"number": "1", "date": fmt_date(today)}})


# --- rendering --------------------------------------------------------------------------------

def builtin_template_path(kind):
    return BUILTIN_DIR / f"{DocumentKind(kind).value}.docx"


def render_docx(template_file, context):
    """Fill a DOCX template (path or file object) with docxtpl; returns the bytes."""
    from docxtpl import DocxTemplate
    from jinja2.sandbox import SandboxedEnvironment

    template = DocxTemplate(template_file)
    # Sandboxed: a template is data an administrator uploads, not code.
    template.render(context, jinja_env=SandboxedEnvironment(), autoescape=True)
    out = BytesIO()
    template.save(out)
    return out.getvalue()


def render_pdf(kind, context):
    with translation.override(context["language"]):
        html = render_to_string(f"sales/documents/{DocumentKind(kind).value}.html", context)
    return html_to_pdf(html)  # PdfUnavailable without Pango: the caller shows its message


def check_docx_template(uploaded, kind):
    """Raise ValidationError unless ``uploaded`` is a DOCX that docxtpl can fill in."""
    if uploaded.size is not None and uploaded.size > MAX_TEMPLATE_SIZE:
        raise ValidationError(_("The file is larger than 10 MB."))
    uploaded.seek(0)
    data = uploaded.read()
    uploaded.seek(0)
    try:
        render_docx(BytesIO(data), sample_context(kind))
    except Exception as exc:  # noqa: BLE001 — anything wrong with the file is the user's to fix
        raise ValidationError(template_error_message(exc)) from exc


def template_error_message(exc):
    from jinja2 import TemplateError

    if isinstance(exc, TemplateError):
        return _("The template has an error in its tags: %(error)s") % {"error": exc}
    return _("This is not a DOCX file a word processor saved (%(error)s). Save the template as "
             "“Word document (.docx)” and upload it again.") % {"error": exc.__class__.__name__}


def default_template(kind):
    """The first active uploaded template of the kind; None means the built-in one."""
    return (DocumentTemplate.objects.filter(kind=kind, is_active=True).exclude(file="")
            .order_by("name", "pk").first())


def _docx_bytes(template, context):
    if template is not None and template.file:
        with template.file.open("rb") as fh:
            data = fh.read()
        try:
            return render_docx(BytesIO(data), context)
        except Exception as exc:  # noqa: BLE001
            raise DocumentError(_("The template “%(name)s” could not be filled in: %(error)s") % {
                "name": template, "error": template_error_message(exc)}) from exc
    return render_docx(builtin_template_path(context["kind"]), context)


def file_name(title, fmt):
    """A download name from a title: no path separators or quotes, any script kept."""
    return f"{get_valid_filename(title.replace('—', '-'))[:150] or 'document'}.{fmt}"


def generate(kind, fmt, source, user, template=None, language=None):
    """Make a document of ``kind`` in ``fmt`` from a deal or an order; returns the saved Document.

    ``template``: an uploaded DocumentTemplate for DOCX (default: the kind's first active one,
    else the built-in). PDF always uses the HTML layout of the kind.
    """
    kind, fmt = DocumentKind(kind), Document.Format(fmt)
    if template is not None and template.kind != kind:
        raise DocumentError(_("The template “%(name)s” is for another kind of document.") % {"name": template})
    deal = source if isinstance(source, Deal) else None
    order = source if isinstance(source, Order) else None
    context = document_context(deal=deal, order=order, language=language, kind=kind)
    if fmt == Document.Format.PDF:
        content, template = render_pdf(kind, context), None
    else:
        template = template or default_template(kind)
        content = _docx_bytes(template, context)
    doc = Document(counterparty=source.counterparty, deal=deal, order=order, template=template, kind=kind,
                   format=fmt, title=context["title"][:255], created_by=user)
    stored = f"{kind.value}-{slugify(context['number']) or source.pk}.{fmt.value}"
    doc.file.save(stored, ContentFile(content), save=False)
    doc._history_user = user
    try:
        with transaction.atomic():
            doc.save()
    except Exception:
        doc.file.delete(save=False)  # no orphan file without its row
        raise
    return doc
