"""Reading bank statements in the ``1CClientBankExchange`` text format (version 1.03 and older).

The format every Russian client-bank and 1C export: ``key=value`` lines in Windows-1251
(``Кодировка=Windows``) or CP866 (``Кодировка=DOS``), a header, account sections
(``СекцияРасчСчет`` … ``КонецРасчСчет``), document sections (``СекцияДокумент=<kind>`` …
``КонецДокумента``) and ``КонецФайла``. ``parse(data)`` returns a ``Statement`` or raises
``StatementError`` with every problem found, each naming its line and field: the file is taken
whole or not at all.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

HEADER = "1CClientBankExchange"
ENCODINGS = {"windows": "cp1251", "dos": "cp866"}
ENCODING_KEY = "Кодировка"
MAX_ERRORS = 20
MAX_AMOUNT = Decimal("99999999999999.99")  # what Payment.amount holds (16 digits, 2 decimals)


class StatementError(ValueError):
    """The file cannot be read; ``errors`` lists every problem (line number, field, message)."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))

    @property
    def messages(self):
        return [str(e) for e in self.errors]


@dataclass(frozen=True)
class LineError:
    line: int
    field: str
    message: str

    def __str__(self):
        if self.field:
            return _("Line %(line)s, %(field)s: %(message)s") % {
                "line": self.line, "field": self.field, "message": self.message}
        return _("Line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class Document:
    """One ``СекцияДокумент``: a payment order (or another bank document) with its fields."""

    kind: str
    line: int  # where the section starts
    fields: dict = field(default_factory=dict)
    number: str = ""
    date: dt.date | None = None
    amount: Decimal | None = None
    received_on: dt.date | None = None  # ДатаПоступило
    written_off_on: dt.date | None = None  # ДатаСписано

    def get(self, key):
        return self.fields.get(key, ("", 0))[0]

    @property
    def payer_account(self):
        return self.get("ПлательщикСчет") or self.get("ПлательщикРасчСчет")

    @property
    def payee_account(self):
        return self.get("ПолучательСчет") or self.get("ПолучательРасчСчет")

    @property
    def payer_name(self):
        # Плательщик1 is the name alone; Плательщик often reads "ИНН 7701234567 ООО Ромашка".
        name = self.get("Плательщик1") or self.get("Плательщик")
        return re.sub(r"^ИНН\s*\d+\s*", "", name).strip()

    @property
    def payer_inn(self):
        return _tax_id(self.get("ПлательщикИНН"))

    @property
    def payer_kpp(self):
        return _tax_id(self.get("ПлательщикКПП"))

    @property
    def payee_inn(self):
        return _tax_id(self.get("ПолучательИНН"))

    @property
    def purpose(self):
        return self.get("НазначениеПлатежа")


@dataclass
class Statement:
    encoding: str
    version: str = ""
    sender: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    accounts: list = field(default_factory=list)  # our accounts: header РасчСчет and the sections
    documents: list = field(default_factory=list)


def _tax_id(value):
    """An INN / KPP as digits; banks write "0" for a payer without one."""
    value = (value or "").strip()
    return "" if value.strip("0") == "" else value


def detect_encoding(data):
    """(Python codec, declared value) from the ``Кодировка=`` line; the key reads right in one of
    the two code pages only, and the value must name that same one."""
    for codec in ("cp1251", "cp866"):
        text = data[:4096].decode(codec, errors="replace")
        for number, raw in enumerate(text.splitlines()[:40], start=1):
            key, sep, value = raw.strip().partition("=")
            if sep and key.strip() == ENCODING_KEY:
                declared = value.strip()
                if ENCODINGS.get(declared.lower()) is None:
                    raise StatementError([LineError(number, ENCODING_KEY, _(
                        "“%(value)s” is not an encoding of the format: Windows or DOS.") % {"value": declared})])
                if ENCODINGS[declared.lower()] != codec:
                    raise StatementError([LineError(number, ENCODING_KEY, _(
                        "the file says %(declared)s but is written in another encoding.") % {"declared": declared})])
                return codec, declared
    raise StatementError([LineError(1, ENCODING_KEY, _(
        "the header does not say the encoding (Кодировка=Windows or Кодировка=DOS)."))])


def parse_date(value):
    value = value.strip()
    if not re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", value):
        raise ValueError(value)
    day, month, year = (int(p) for p in value.split("."))
    return dt.date(year, month, day)


def parse_amount(value):
    value = value.strip().replace(",", ".")
    if not re.fullmatch(r"\d{1,14}(\.\d{1,2})?", value):
        raise ValueError(value)
    try:
        amount = Decimal(value).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValueError(value) from None
    if amount <= 0 or amount > MAX_AMOUNT:
        raise ValueError(value)
    return amount


def parse(data):
    """A ``Statement`` from the file's bytes; ``StatementError`` naming every bad line otherwise."""
    if not data:
        raise StatementError([LineError(1, "", _("the file is empty."))])
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    first = data.split(b"\n", 1)[0].strip()
    if first != HEADER.encode():
        raise StatementError([LineError(1, "", _(
            "this is not a 1CClientBankExchange file: it must begin with the line 1CClientBankExchange."))])
    codec, _declared = detect_encoding(data)
    text = data.decode(codec)  # every byte is a character in both code pages
    return _read(text.splitlines(), codec)


def _read(lines, codec):
    statement = Statement(encoding=codec)
    errors = []
    section, current, ended = None, None, False

    def error(number, key, message):
        errors.append(LineError(number, key, message))

    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if number == 1 or not line:
            continue
        if ended:
            error(number, "", _("text after КонецФайла."))
            break
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if key == "КонецФайла":
            if section == "document":
                error(current.line, "", _("the document section is not closed with КонецДокумента."))
            elif section == "account":
                error(number, "", _("the account section is not closed with КонецРасчСчет."))
            ended = True
            continue
        if key == "СекцияДокумент":
            if section is not None:
                error(number, "", _("a new section begins before the previous one ends."))
            section, current = "document", Document(kind=value, line=number)
            continue
        if key == "КонецДокумента":
            if section != "document":
                error(number, "", _("КонецДокумента without СекцияДокумент."))
            else:
                _check_document(current, error)
                statement.documents.append(current)
            section, current = None, None
            continue
        if key == "СекцияРасчСчет":
            if section is not None:
                error(number, "", _("a new section begins before the previous one ends."))
            section = "account"
            continue
        if key == "КонецРасчСчет":
            if section != "account":
                error(number, "", _("КонецРасчСчет without СекцияРасчСчет."))
            section = None
            continue
        if not sep:
            error(number, "", _("expected “name=value”, found “%(text)s”.") % {"text": line[:60]})
            continue
        if section == "document":
            current.fields[key] = (value, number)
        elif key == "РасчСчет" and value:
            if value not in statement.accounts:
                statement.accounts.append(value)
        elif section is None:
            _header_field(statement, key, value, number, error)
        if len(errors) >= MAX_ERRORS:
            break
    if not ended and len(errors) < MAX_ERRORS:
        error(len(lines), "", _("the file ends without КонецФайла: it may have been cut short."))
    if errors:
        raise StatementError(errors[:MAX_ERRORS])
    return statement


def _header_field(statement, key, value, number, error):
    if key == "ВерсияФормата":
        statement.version = value
    elif key == "Отправитель":
        statement.sender = value
    elif key in ("ДатаНачала", "ДатаКонца") and value:
        try:
            date = parse_date(value)
        except ValueError:
            error(number, key, _("“%(value)s” is not a date (DD.MM.YYYY).") % {"value": value})
            return
        setattr(statement, "date_from" if key == "ДатаНачала" else "date_to", date)


def _check_document(doc, error):
    """Validate the fields a payment needs; an error names the field's own line."""
    def where(key):
        return doc.fields.get(key, ("", doc.line))[1]

    doc.number = doc.get("Номер")
    if not doc.number:
        error(doc.line, "Номер", _("the document has no number."))
    elif len(doc.number) > 50:
        error(where("Номер"), "Номер", _("the number is longer than 50 characters."))
    raw = doc.get("Дата")
    if not raw:
        error(doc.line, "Дата", _("the document has no date."))
    else:
        try:
            doc.date = parse_date(raw)
        except ValueError:
            error(where("Дата"), "Дата", _("“%(value)s” is not a date (DD.MM.YYYY).") % {"value": raw})
    raw = doc.get("Сумма")
    if not raw:
        error(doc.line, "Сумма", _("the document has no amount."))
    else:
        try:
            doc.amount = parse_amount(raw)
        except ValueError:
            error(where("Сумма"), "Сумма", _(
                "“%(value)s” is not an amount: a positive number with up to two decimals, e.g. 1500.00.")
                  % {"value": raw})
    for key, attr in (("ДатаПоступило", "received_on"), ("ДатаСписано", "written_off_on")):
        raw = doc.get(key)
        if raw:
            try:
                setattr(doc, attr, parse_date(raw))
            except ValueError:
                error(where(key), key, _("“%(value)s” is not a date (DD.MM.YYYY).") % {"value": raw})
    for key in ("ПлательщикИНН", "ПолучательИНН", "ПлательщикКПП"):
        raw = doc.get(key)
        if raw and not raw.isdigit():
            error(where(key), key, _("“%(value)s” must be digits.") % {"value": raw})
