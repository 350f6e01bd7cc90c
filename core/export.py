"""Export of a filtered list to CSV / XLSX, safe to open in a spreadsheet."""

import csv
import datetime
import io
import re
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A phone number or a signed number ("+7 (903) 523-66-45", "-5", "+1.5"): no formula can be
# written with these characters alone, so such text is left as it is.
NUMBER_LIKE = re.compile(r"[+-]?[\d\s().,/-]*\d[\d\s().,/-]*")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"


def neutralize(value):
    """Stop a spreadsheet from treating a CSV cell as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER_LIKE.fullmatch(value):
        return "'" + value
    return value


def local_naive(value):
    """A date-time as Excel shows it: local time, no time zone, whole seconds."""
    if timezone.is_aware(value):
        value = timezone.localtime(value).replace(tzinfo=None)
    return value.replace(microsecond=0)


def _cell(value):
    """A CSV value."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal, datetime.date)) and not isinstance(value, bool):
        if isinstance(value, datetime.datetime):
            return local_naive(value)
        return value
    return neutralize(str(value))


def xlsx_value(sheet, value, number_format=None):
    """A write-only XLSX cell. Text is stored typed as a string, so a spreadsheet never evaluates
    it (no formula injection) and shows it as written: no apostrophe before phones or "-"."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float, Decimal, datetime.date)) and not isinstance(value, bool):
        if isinstance(value, datetime.datetime):
            value = local_naive(value)
            number_format = number_format or DATETIME_FORMAT
        elif isinstance(value, datetime.date):
            number_format = number_format or DATE_FORMAT
        cell = WriteOnlyCell(sheet, value=value)
        if number_format:
            cell.number_format = number_format
        return cell
    cell = WriteOnlyCell(sheet, value=str(value))
    cell.data_type = "s"  # openpyxl would make "=…" a formula
    return cell


class _Echo:
    def write(self, value):
        return value


def csv_response(rows, filename):
    writer = csv.writer(_Echo(), delimiter=";")
    body = (writer.writerow([_cell(v) for v in row]) for row in rows)
    response = StreamingHttpResponse(
        (chunk for chunk in _with_bom(body)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _with_bom(chunks):
    yield "\ufeff"  # so spreadsheet programs detect UTF-8
    yield from chunks


def xlsx_response(rows, filename, title="Export"):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append([xlsx_value(sheet, v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
