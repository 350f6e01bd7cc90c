"""(Re)build the built-in DOCX templates in sales/document_templates/ with python-docx.

The files are committed; this command makes them reproducible. They hold docxtpl (Jinja) tags
and take every label from the context (``labels``), so one file serves every UI language. An
administrator downloads one, edits it in a word processor and uploads it as a template.
"""

from pathlib import Path

from django.core.management.base import BaseCommand
from docx import Document as Docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from sales.models import DocumentKind

OUT_DIR = Path(__file__).resolve().parents[2] / "document_templates"

LINE_COLUMNS = (("labels.n", "line.n", 1.0), ("labels.product", "line.product", 8.0),
                ("labels.quantity", "line.quantity", 2.2), ("labels.price", "line.price", 2.8),
                ("labels.amount", "line.total", 3.0))


def _tag(expression):
    return "{{ " + expression + " }}"


def _new_document():
    doc = Docx()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin = section.bottom_margin = Cm(1.5)
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10)
    return doc


def _para(doc, text, bold=False, size=None, align=None):
    paragraph = doc.add_paragraph()
    run = paragraph.add_run(text)  # one run per tag: docxtpl needs a tag unbroken
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    if align is not None:
        paragraph.alignment = align
    return paragraph


BANK = "{% if seller.bank %}{{ labels.bank }}: {{ seller.bank }}{% endif %}"


def _parties(doc, seller_bank=False):
    _para(doc, "{{ labels.seller }}: {{ seller.legal_name }}", bold=True)
    _para(doc, "{{ seller.details }}")
    if seller_bank:
        _para(doc, BANK)
    _para(doc, "{{ labels.client }}: {{ client.legal_name }}", bold=True)
    _para(doc, "{{ client.details }}")


def _lines_table(doc):
    table = doc.add_table(rows=5, cols=len(LINE_COLUMNS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    header, loop_start, body, loop_end, total = table.rows
    for i, (label, value, width) in enumerate(LINE_COLUMNS):
        for row in table.rows:
            row.cells[i].width = Cm(width)
        header.cells[i].paragraphs[0].add_run(_tag(label)).bold = True
        body.cells[i].paragraphs[0].add_run(_tag(value))
        if i >= 2:
            for row in (header, body, total):
                row.cells[i].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    # docxtpl drops the rows holding {%tr %} tags and repeats the rows between them.
    loop_start.cells[0].paragraphs[0].add_run("{%tr for line in lines %}")
    loop_end.cells[0].paragraphs[0].add_run("{%tr endfor %}")
    total.cells[3].paragraphs[0].add_run("{{ labels.total }}").bold = True
    total.cells[4].paragraphs[0].add_run("{{ total }}").bold = True
    return table


def _totals(doc):
    _para(doc, "{{ labels.total }}: {{ total }} {{ currency }}", bold=True, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, "{{ vat_text }}", align=WD_ALIGN_PARAGRAPH.RIGHT)


def _signatures(doc):
    table = doc.add_table(rows=2, cols=2)
    table.rows[0].cells[0].paragraphs[0].add_run("{{ labels.seller }}").bold = True
    table.rows[0].cells[1].paragraphs[0].add_run("{{ labels.client }}").bold = True
    table.rows[1].cells[0].paragraphs[0].add_run("{{ seller.legal_name }}\n\n______________________")
    table.rows[1].cells[1].paragraphs[0].add_run("{{ client.legal_name }}\n\n______________________")


def build_proposal(doc):
    _para(doc, "{{ seller.name }}", bold=True, size=14)
    _para(doc, "{{ seller.details }}")
    _para(doc, "{{ heading }}", bold=True, size=16, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, "{{ labels.to }}: {{ client.legal_name }}")
    _para(doc, "{{ client.details }}")
    _para(doc, "{{ labels.proposal_intro }}")
    _lines_table(doc)
    _totals(doc)
    _para(doc, "{{ labels.proposal_validity }}")
    _para(doc, "{{ labels.manager }}: {{ manager }}{% if manager_phone %}, {{ manager_phone }}{% endif %}")


def build_contract(doc):
    _para(doc, "{{ heading }}", bold=True, size=16, align=WD_ALIGN_PARAGRAPH.CENTER)
    _parties(doc, seller_bank=True)  # the contract's parties carry the seller's bank details
    for clause in ("contract_subject", "contract_price", "contract_payment", "contract_delivery",
                   "contract_disputes"):
        _para(doc, _tag(f"labels.{clause}"))
    _lines_table(doc)
    _totals(doc)
    _signatures(doc)


def build_invoice(doc):
    _para(doc, "{{ seller.legal_name }}", bold=True, size=12)
    _para(doc, "{{ seller.details }}")
    _para(doc, BANK)  # the payee's bank details head the invoice
    _para(doc, "{{ heading }}", bold=True, size=16, align=WD_ALIGN_PARAGRAPH.CENTER)
    _parties(doc)
    _lines_table(doc)
    _totals(doc)
    _para(doc, "{{ labels.amount_in_words }}: {{ amount_in_words }}", bold=True)
    _para(doc, "{% if due_date %}{{ labels.payment_due }}: {{ due_date }}{% endif %}")
    _para(doc, "{{ labels.manager }}: {{ manager }} ______________________")


BUILDERS = {DocumentKind.PROPOSAL: build_proposal, DocumentKind.CONTRACT: build_contract,
            DocumentKind.INVOICE: build_invoice}


def build_template(kind, path):
    doc = _new_document()
    BUILDERS[kind](doc)
    doc.save(str(path))
    return path


class Command(BaseCommand):
    help = "Rebuild the built-in DOCX document templates (proposal, contract, invoice)."

    def add_arguments(self, parser):
        parser.add_argument("--out", default=str(OUT_DIR), help="Directory to write the .docx files to.")

    def handle(self, *args, out, **options):
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        for kind in BUILDERS:
            path = build_template(kind, out / f"{kind}.docx")
            self.stdout.write(f"{path}")
