"""Reading an uploaded file into a header and rows of text: CSV, XLSX and vCard.

CSV comes as Russian Excel saves it (Windows-1251, ``;``) or as UTF-8 with or without a byte
order mark, with ``;``, ``,`` or tab separators: the encoding and the separator are detected.
XLSX is read in openpyxl's read-only mode (the first sheet; the first non-empty row is the
header). vCard 3.0 and 4.0 files (vobject) become one row per card under fixed columns, so the
same mapping, validation and matching apply.
"""

import csv
import datetime
import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

MAX_COLUMNS = 200


class ReadError(Exception):
    """The file cannot be read: the message tells the user why."""


@dataclass
class Table:
    format: str
    headers: list
    rows: list  # [(row number as the user sees it, [cell text…])]
    encoding: str = ""
    delimiter: str = ""
    meta: dict = field(default_factory=dict)


def detect_format(name, head):
    lower = (name or "").lower()
    if head.startswith(b"PK\x03\x04") or lower.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if lower.endswith((".vcf", ".vcard")) or b"BEGIN:VCARD" in head[:2000].upper():
        return "vcard"
    return "csv"


def decode(data):
    """(text, encoding): UTF-8 (a BOM is dropped) when it decodes, else Windows-1251."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace"), "cp1251"


def detect_delimiter(text):
    """The separator of the header line: the most frequent of ; , tab | outside quotes."""
    first = text.split("\n", 1)[0]
    counts = {}
    for delimiter in (";", ",", "\t", "|"):
        try:
            counts[delimiter] = len(next(csv.reader([first], delimiter=delimiter)))
        except (csv.Error, StopIteration):
            counts[delimiter] = 1
    best = max(counts, key=lambda d: (counts[d], d == ";"))
    return best if counts[best] > 1 else ";"


def cell_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # tax ids and phones typed as numbers
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _table(fmt, raw_rows, **extra):
    """Headers from the first non-empty row; the rows after it, blank ones left out."""
    rows = iter(raw_rows)
    headers = None
    for _number, cells in rows:
        if any(cells):
            headers = cells[:MAX_COLUMNS]
            break
    if headers is None:
        raise ReadError(_("The file is empty: no column names were found."))
    width = len(headers)
    while width and not headers[width - 1]:
        width -= 1
    headers = [h or _("Column %(n)s") % {"n": i + 1} for i, h in enumerate(headers[:width])]
    body = []
    for number, cells in rows:
        cells = cells[:width]
        if any(cells):
            body.append((number, cells + [""] * (width - len(cells))))
    return Table(fmt, headers, body, **extra)


def read_csv(data):
    text, encoding = decode(data)
    delimiter = detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        raw = [(reader.line_num, [c.strip() for c in cells]) for cells in reader]
    except csv.Error as exc:
        raise ReadError(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from None
    return _table("csv", raw, encoding=encoding, delimiter=delimiter)


def read_xlsx(data):
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise ReadError(_("The file is not a readable XLSX workbook.")) from None
    try:
        sheet = book.worksheets[0]
        raw = [(n, [cell_text(v) for v in values])
               for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        book.close()
    return _table("xlsx", raw)


VCARD_COLUMNS = ["Organization", "Full name", "Last name", "First name", "Middle name", "Title",
                 "Phone", "Mobile", "Email", "Website", "Address", "Birthday", "Note"]


def _vcard_values(card, name):
    return [c for c in card.contents.get(name, [])]


def _vcard_text(value):
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value if v).strip()
    return str(value or "").strip()


def _vcard_row(card):
    row = dict.fromkeys(VCARD_COLUMNS, "")
    org = _vcard_values(card, "org")
    if org:
        row["Organization"] = _vcard_text(org[0].value[0] if isinstance(org[0].value, list) else org[0].value)
    fn = _vcard_values(card, "fn")
    row["Full name"] = _vcard_text(fn[0].value) if fn else ""
    n = _vcard_values(card, "n")
    if n and hasattr(n[0].value, "family"):
        name = n[0].value
        row["Last name"] = _vcard_text(name.family)
        row["First name"] = _vcard_text(name.given)
        row["Middle name"] = _vcard_text(name.additional)
    title = _vcard_values(card, "title")
    row["Title"] = _vcard_text(title[0].value) if title else ""
    phones, mobiles = [], []
    for tel in _vcard_values(card, "tel"):
        types = {t.lower() for t in tel.params.get("TYPE", []) for t in t.split(",")}
        value = _vcard_text(tel.value).removeprefix("tel:")
        (mobiles if "cell" in types else phones).append(value)
    row["Phone"], row["Mobile"] = ", ".join(phones), ", ".join(mobiles)
    row["Email"] = ", ".join(_vcard_text(e.value).removeprefix("mailto:") for e in _vcard_values(card, "email"))
    urls = _vcard_values(card, "url")
    row["Website"] = _vcard_text(urls[0].value) if urls else ""
    adr = _vcard_values(card, "adr")
    if adr:
        a = adr[0].value
        parts = [a.street, a.city, a.region, a.code, a.country] if hasattr(a, "street") else [a]
        row["Address"] = ", ".join(_vcard_text(p) for p in parts if _vcard_text(p))
    bday = _vcard_values(card, "bday")
    row["Birthday"] = _vcard_text(bday[0].value) if bday else ""
    note = _vcard_values(card, "note")
    row["Note"] = _vcard_text(note[0].value) if note else ""
    return [row[c] for c in VCARD_COLUMNS]


def read_vcard(data):
    import vobject

    text, encoding = decode(data)
    rows = [(0, list(VCARD_COLUMNS))]
    try:
        for number, card in enumerate(vobject.readComponents(text, ignoreUnreadable=True), start=1):
            if card.name.upper() == "VCARD":
                rows.append((number, _vcard_row(card)))
    except Exception as exc:  # noqa: BLE001 - vobject's parse errors have no common base worth naming
        raise ReadError(_("The vCard file cannot be read: %(error)s") % {"error": exc}) from None
    if len(rows) == 1:
        raise ReadError(_("No contacts (BEGIN:VCARD … END:VCARD) were found in the file."))
    return _table("vcard", rows, encoding=encoding)


def read(data, name=""):
    fmt = detect_format(name, data[:4096])
    return without_nul({"csv": read_csv, "xlsx": read_xlsx, "vcard": read_vcard}[fmt](data))


def without_nul(table):
    """NUL characters dropped from every header and cell: PostgreSQL stores no NUL in text or JSON
    (a file with stray NULs would otherwise fail with a server error)."""
    table.headers = [_clean(h) for h in table.headers]
    table.rows = [(number, [_clean(c) for c in cells]) for number, cells in table.rows]
    return table


def _clean(value):
    return value.replace("\x00", "") if isinstance(value, str) else value
