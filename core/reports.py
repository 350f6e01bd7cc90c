"""The report framework: a report declares its filters and columns once (NetBox / django-tables
style) and gets an HTML page with a chart, an XLSX export and a PDF export from that declaration.

Apps register their reports in ``core.registry.reports`` (from ``AppConfig.ready()``)::

    @registry.reports.register("order-failures", order=40)   # or register(slug, ReportClass)
    class FailuresReport(Report):
        slug = "order-failures"
        title = _("Order failure reasons")
        form_class = FailuresForm
        columns = [Column("reason", _("Failure reason")), Column("count", _("Orders"), "int", total=True)]
        chart = Chart(_("Failed orders by reason"), label="reason", values=["count"])

        def rows(self, filters, user):
            return [...]  # dicts keyed by column key, narrowed with restrict(user, ...)

The generic views (``ReportView``, ``ReportIndexView``) serve every registered report at
/reports/<slug>/ (``?export=xlsx`` / ``?export=pdf``) and list them at /reports/.
Charts travel as JSON (``json_script``) and are drawn by static/js/charts.js: no inline JS (CSP).
"""

import datetime
import io
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.paginator import Paginator
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Model, QuerySet
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, get_format, localize, number_format
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from openpyxl import Workbook

from core import dbrouter, registry
from core.export import DATE_FORMAT, DATETIME_FORMAT, xlsx_value
from core.models import ReportPreference, SavedFilter
from core.pdf import PdfUnavailable, render_pdf

PER_PAGE = 100  # rows of a paginated table on the page; the exports have every row
PDF_ROWS = 2000  # per table: WeasyPrint slows down on long tables; the XLSX has every row
WIDE_PDF = 6  # more columns than this print on A4 landscape
MIN_DATE = datetime.date(1900, 1, 1)
MAX_DATE = datetime.date(2999, 12, 31)
MAX_PK = 2**63 - 1


# --- Period ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Inclusive local dates; compared as [first day 00:00, day after the last 00:00) in TIME_ZONE."""

    date_from: datetime.date
    date_to: datetime.date

    @property
    def start(self):
        return timezone.make_aware(datetime.datetime.combine(self.date_from, datetime.time.min))

    @property
    def end(self):
        """Exclusive: an event at 23:30 local time on the last day is still inside."""
        next_day = self.date_to + datetime.timedelta(days=1)
        return timezone.make_aware(datetime.datetime.combine(next_day, datetime.time.min))

    def months(self):
        """First days of the months the period touches."""
        month, result = self.date_from.replace(day=1), []
        while month <= self.date_to:
            result.append(month)
            month = (month + datetime.timedelta(days=32)).replace(day=1)
        return result

    def q(self, field="start"):
        from django.db.models import Q

        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})


def current_month(today=None):
    today = today or timezone.localdate()
    first = today.replace(day=1)
    last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    return Period(first, last)


def current_year(today=None):
    today = today or timezone.localdate()
    return Period(today.replace(month=1, day=1), today.replace(month=12, day=31))


def last_12_months(today=None):
    """The default period of the reports: twelve calendar months, the current one and the 11 before.

    Not the current month (empty early in a month) nor the year to date (empty early in January):
    a full year always has data to compare; whole months keep monthly columns whole, and the rest
    of the current month keeps what is already dated ahead in it (planned contacts, orders).
    """
    today = today or timezone.localdate()
    months = today.year * 12 + today.month - 1 - 11
    return Period(datetime.date(months // 12, months % 12 + 1, 1), current_month(today).date_to)


def next_12_months(today=None):
    """Twelve calendar months from the current one: for reports of what is due ahead (ends of
    warranties and contracts)."""
    today = today or timezone.localdate()
    months = today.year * 12 + today.month - 1 + 11
    last = current_month(datetime.date(months // 12, months % 12 + 1, 1)).date_to
    return Period(today.replace(day=1), last)


# --- Filter fields and forms -------------------------------------------------------------------

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class BoundedDateField(forms.DateField):
    """A date within [MIN_DATE, MAX_DATE]: the edges of the calendar overflow date arithmetic."""

    widget = DATE_WIDGET

    def validate(self, value):
        super().validate(value)
        if value and not MIN_DATE <= value <= MAX_DATE:
            raise forms.ValidationError(
                _("Enter a date between %(min)s and %(max)s.") % {"min": MIN_DATE.isoformat(),
                                                                  "max": MAX_DATE.isoformat()},
                code="out_of_range")


def _check_pks(field, values):
    """Ids beyond a 64-bit integer would make the database fail: an invalid choice instead."""
    for value in values:
        text = str(value).strip()
        if text and (not text.isdigit() or int(text) > MAX_PK):
            raise forms.ValidationError(field.error_messages["invalid_choice"] if "invalid_choice" in
                                        field.error_messages else _("Select a valid choice."),
                                        code="invalid_choice", params={"value": text})


class ModelChoiceField(forms.ModelChoiceField):
    def to_python(self, value):
        if value not in self.empty_values:
            _check_pks(self, [value])
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        _check_pks(self, value)
        return super()._check_values(value)


class ReportForm(forms.Form):
    """A GET form whose missing values fall back to defaults (the first visit has none)."""

    defaults = {}

    def __init__(self, data, user=None):
        self.user = user  # the viewer: forms narrow their choices with it (e.g. a client lookup)
        data = data.copy()
        for name, value in self.get_defaults().items():
            if not data.get(name):
                data.setlist(name, value if isinstance(value, list) else [value])
        super().__init__(data)
        for f in self.fields.values():
            widget = f.widget
            if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple)):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")

    def get_defaults(self):
        return dict(self.defaults)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data

    @property
    def period(self):
        return Period(self.cleaned_data["date_from"], self.cleaned_data["date_to"])

    def summary(self):
        """[(label, value)] of the filters that are set, for the PDF's heading."""
        result = []
        for name, bound in self.fields.items():
            value = self.cleaned_data.get(name)
            if value in (None, "", False) or (hasattr(value, "__len__") and not isinstance(value, (str, Model))
                                              and not len(value)):
                continue
            if isinstance(value, datetime.date):
                text = date_format(value, "SHORT_DATE_FORMAT")
            elif isinstance(bound, forms.ModelMultipleChoiceField):
                text = ", ".join(str(v) for v in value)
            elif isinstance(bound, forms.ModelChoiceField):
                text = bound.label_from_instance(value)
            elif isinstance(bound, forms.ChoiceField):
                choices = dict(bound.choices)
                text = ", ".join(str(choices.get(v, v)) for v in value) if isinstance(value, list) \
                    else str(choices.get(value, value))
            else:
                text = str(value)
            result.append((bound.label, text))
        return result


class PeriodForm(ReportForm):
    """A period, the last 12 months unless chosen (``default_period`` changes that)."""

    date_from = BoundedDateField(label=gettext_lazy("From"))
    date_to = BoundedDateField(label=gettext_lazy("To"))
    default_period = staticmethod(last_12_months)

    def get_defaults(self):
        period = self.default_period()
        return {**super().get_defaults(), "date_from": period.date_from.isoformat(),
                "date_to": period.date_to.isoformat()}


class YearPeriodForm(PeriodForm):
    """The calendar year: for reports read by month across a year (funnel, interests, profit)."""

    default_period = staticmethod(current_year)


# --- Declarations: columns, tables, charts, notes ------------------------------------------------

KINDS = {"text", "int", "decimal", "money", "percent", "date", "datetime"}
NUMERIC = {"int", "decimal", "money", "percent"}


@dataclass
class Column:
    """A column of a report table.

    ``kind``: text, int, decimal (one place), money (with ``currency`` or the row's
    ``currency_key``), percent (the value is already in %, one place), date, datetime.
    ``link``: the HTML cell links to ``row[f"{key}_url"]``. ``total``: summed in the totals row
    when the report gives none. ``each``: a callable ``report -> [(item key, label, currency)]``
    expanding the column into one per item; the row's value is then a dict by item key.
    ``empty``: what a missing value reads as (in every output).
    """

    key: str
    label: str
    kind: str = "text"
    currency: str | None = None
    currency_key: str | None = None
    total: bool = False
    link: bool = False
    each: object = None
    empty: object = ""
    item: object = None  # set on the expanded copies

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Unknown column kind {self.kind!r}")

    @property
    def numeric(self):
        return self.kind in NUMERIC

    def expand(self, report):
        if self.each is None:
            return [self]
        zero = Decimal(0) if self.kind == "money" else 0
        return [Column(f"{self.key}:{item}", label, self.kind, currency=currency or self.currency,
                       currency_key=self.currency_key, total=self.total, link=self.link,
                       empty=zero if self.empty == "" else self.empty, item=(self.key, item))
                for item, label, currency in self.each(report)]

    def value(self, row):
        if self.item is not None:
            base, item = self.item
            value = (row.get(base) or {}).get(item)
        else:
            value = row.get(self.key)
        return self.empty if value is None or value == "" else value

    def row_currency(self, row):
        return self.currency or (row.get(self.currency_key) if self.currency_key else None)


def per_currency(label, currencies):
    """``each`` items: one money column per currency, headed "label, CUR"."""
    return [(c, f"{label}, {c}", c) for c in currencies]


@dataclass
class Table:
    """A table of a report: rows come from ``report.<rows>(filters, user)`` (a list of dicts, or a
    queryset mapped by ``report.<row>(obj)`` so that it can be paginated)."""

    key: str = "report"
    caption: str = ""
    columns: list = field(default_factory=list)
    rows: str = "rows"
    row: str | None = None  # method mapping a queryset object to a row dict
    map_rows: str | None = None  # method mapping a list of objects to row dicts at once (batched lookups)
    totals: str | None = None  # method returning the totals rows; else summed ``total`` columns
    paginate: bool = False
    count: str | None = None  # method giving the number of rows when known (spares the pager's COUNT)
    group_by: tuple = ()  # column keys shown as group headings on the page and in the PDF
    html_limit: int | None = None  # the page shows at most this many rows (a source's head(n) if it has one)
    empty: str = gettext_lazy("Nothing found.")


@dataclass
class Chart:
    """A chart drawn from a table's rows: ``label`` column for the categories, ``values`` columns
    (an expanding column brings all its items) for the datasets; totals rows are left out."""

    label_text: str
    label: str = ""
    values: list = field(default_factory=list)
    table: str = "report"
    type: str = "bar"  # bar, pie, doughnut
    horizontal: bool = False
    stacked: bool = False
    max: float | None = None
    suffix: str = ""
    where: object = None  # row -> bool
    level: str | None = None  # only rows of this level


@dataclass
class Note:
    text: str
    testid: str = ""
    alert: bool = False


# --- The report ---------------------------------------------------------------------------------


class Report:
    """Subclass, declare, register. An instance serves one request."""

    slug = ""
    title = ""
    description = ""  # one line for the index
    definition = ""  # what the report counts: on the page and in the PDF
    group = gettext_lazy("Reports")
    group_order = 100
    form_class = ReportForm
    columns = []
    tables = None  # [Table]; default: one table of ``columns`` from ``rows()``
    charts = []  # [Chart]
    legacy_url = None  # the URL name the report had before the framework (kept as a redirect)
    # PostgreSQL ``work_mem`` while the report is computed, for reports that group or sort a whole
    # table (the default 4 MB makes them sort on disk); None: the server's setting.
    sort_memory = None
    do_not_call_in_templates = True  # templates read the class's attributes

    def __init__(self, user, filters=None, form=None):
        self.user, self.filters, self.form = user, filters, form
        self._result = None
        self._computed = False

    @classmethod
    def has_permission(cls, user):
        """Who may open the report: every signed-in user; rows are narrowed by ``restrict``."""
        return user.is_authenticated

    @classmethod
    def get_url(cls):
        return reverse("report", args=[cls.slug])

    @classmethod
    def variant_target(cls):
        """``SavedFilter.target`` of the report's saved variants."""
        return f"report:{cls.slug}"

    @classmethod
    def variants(cls, user):
        """The user's own saved variants of the report and those shared with everyone."""
        from django.db.models import Q

        # From the primary even on a replica: a variant just saved is listed at once.
        return SavedFilter.objects.using(DEFAULT_DB_ALIAS) \
            .filter(Q(user=user) | Q(shared=True), target=cls.variant_target()) \
            .select_related("user").order_by("name", "pk")

    # The aggregated data many tables and charts read, computed once per request.
    def compute(self, filters, user):
        return None

    @property
    def result(self):
        if not self._computed:
            self._result, self._computed = self.compute(self.filters, self.user), True
        return self._result

    def rows(self, filters, user):
        raise NotImplementedError

    def notes(self, filters):
        """[Note] shown above the tables (and printed)."""
        return []

    def chart_specs(self, tables):
        """[{"id", "label", "spec"}] from the ``charts`` declarations; override for special ones."""
        specs = []
        for index, chart in enumerate(self.charts):
            table = next(t for t in tables if t.decl.key == chart.table)
            spec = table.chart(chart)
            if any(value for dataset in spec["datasets"] for value in dataset["data"]):  # no empty frame
                specs.append({"id": f"{self.slug}-chart-{index}", "label": str(chart.label_text), "spec": spec})
        return specs

    def get_tables(self):
        decls = self.tables or [Table("report", str(self.title), self.columns)]
        return [BoundTable(self, decl) for decl in decls]


def declared_tables(report_class):
    return report_class.tables or [Table("report", str(report_class.title), report_class.columns)]


class BoundTable:
    """A table declaration with the request's columns (expanded) and rows."""

    def __init__(self, report, decl):
        self.report, self.decl = report, decl
        self.key, self.caption = decl.key, str(decl.caption)
        self.columns = [c for column in decl.columns for c in column.expand(report)]
        self.testid = "report-table" if decl.key == "report" else f"{decl.key}-table"

    def source(self):
        return getattr(self.report, self.decl.rows)(self.report.filters, self.report.user)

    def map(self, objects):
        if self.decl.map_rows:
            return getattr(self.report, self.decl.map_rows)(list(objects))
        if self.decl.row is None:
            return list(objects)
        mapper = getattr(self.report, self.decl.row)
        return [mapper(obj) for obj in objects]

    def all_rows(self):
        """Every row (exports): querysets are read in chunks."""
        source = self.source()
        if isinstance(source, QuerySet):
            source = source.iterator(chunk_size=2000) if not source._prefetch_related_lookups else source
        return self.map(source)

    def totals(self, rows):
        if self.decl.totals:
            return list(getattr(self.report, self.decl.totals)(self.report.filters, self.report.user))
        summed = [c for c in self.columns if c.total]
        if not summed or not rows:
            return []
        total = {"_level": "total", self.columns[0].key: str(_("Total"))}
        for column in summed:
            values = [column.value(r) for r in rows if r.get("_level") != "group"]
            number = sum((v for v in values if isinstance(v, (int, float, Decimal))), Decimal(0) if
                         column.kind == "money" else 0)
            if column.item:
                total.setdefault(column.item[0], {})[column.item[1]] = number
            else:
                total[column.key] = number
            if column.currency_key and rows:
                total[column.currency_key] = rows[0].get(column.currency_key)
        return [total]

    def chart(self, chart):
        rows = [r for r in self.rows if r.get("_level") != "total"]
        if chart.level:
            rows = [r for r in rows if r.get("_level") == chart.level]
        if chart.where:
            rows = [r for r in rows if chart.where(r)]
        label = next(c for c in self.columns if c.key == chart.label)
        values = [c for c in self.columns if c.key in chart.values or (c.item and c.item[0] in chart.values)]
        values.sort(key=lambda c: chart.values.index(c.item[0] if c.item else c.key))
        money = next((c.currency for c in values if c.kind == "money" and c.currency), None)
        spec = {"type": chart.type, "labels": [str(label.value(r)) for r in rows],
                "datasets": [{"label": str(c.label), "data": [_json_number(c.value(r)) for r in rows]}
                             for c in values]}
        for name in ("horizontal", "stacked", "max", "suffix"):
            if getattr(chart, name):
                spec[name] = getattr(chart, name)
        if money:
            spec["money"] = money
        return spec

    # --- the page ---
    def for_page(self, request):
        source = self.source()
        self.page = None
        if self.decl.paginate:
            paginator = Paginator(source, PER_PAGE)
            if self.decl.count:
                paginator.count = getattr(self.report, self.decl.count)()  # set the cached_property
            self.page = paginator.get_page(request.GET.get("page"))
            rows = self.map(self.page.object_list)
            all_rows = None
        else:
            if self.decl.html_limit and hasattr(source, "head"):  # reads its first rows its own way
                source = source.head(self.decl.html_limit + 1)
            elif self.decl.html_limit and isinstance(source, QuerySet):
                source = source[:self.decl.html_limit + 1]  # one more tells that there are more
                if not self.decl.totals:
                    raise ImproperlyConfigured(f"{self.report.slug}: a limited queryset table needs totals")
            rows = all_rows = self.map(source)
        self.truncated = bool(self.decl.html_limit and len(rows) > self.decl.html_limit)
        body = [r for r in rows if r.get("_level") != "total"]
        footer = [r for r in rows if r.get("_level") == "total"]
        footer += self.totals(all_rows if all_rows is not None else body) if body else []
        self.rows = body + footer  # what charts and tests read
        if self.truncated:
            body = body[:self.decl.html_limit]
        self.visible = [c for c in self.columns if c.key not in self.decl.group_by]
        self.body = list(self._with_groups(body, html_row))
        self.footer = [html_row(self.visible, r, ' class="fw-bold" data-level="total"') for r in footer] if body else []
        return self

    def _with_groups(self, rows, render):
        heads = [c for c in self.columns if c.key in self.decl.group_by]
        previous = None
        for row in rows:
            key = tuple(str(c.value(row)) for c in heads)
            for depth in range(len(heads)):
                if previous is None or key[:depth + 1] != previous[:depth + 1]:
                    yield {"heading": key[depth], "depth": depth, "span": len(self.visible)}
            previous = key
            yield render(self.visible, row)

    # --- the exports ---
    def export_rows(self):
        rows = self.all_rows()
        body = [r for r in rows if r.get("_level") != "total"]
        footer = [r for r in rows if r.get("_level") == "total"]
        footer += self.totals(body) if body else []
        return body + footer

    def print_rows(self, limit):
        rows = self.export_rows()
        self.visible = [c for c in self.columns if c.key not in self.decl.group_by]
        self.truncated = len(rows) > limit
        return list(self._with_groups(rows[:limit], pdf_row))


def _json_number(value):
    if isinstance(value, Decimal):
        return float(value)
    return value if isinstance(value, (int, float)) else 0


# --- Cells in each output -----------------------------------------------------------------------


CENT = Decimal("0.01")


def money_text(value):
    """``number_format(value, 2, force_grouping=True)`` — the same text (its decimals cut, not
    rounded) made by Python's own grouping: a report page formats a few thousand amounts."""
    grouping = get_format("NUMBER_GROUPING")
    if grouping != 3:
        return number_format(value, 2, force_grouping=True)
    value = Decimal(value).quantize(CENT, ROUND_DOWN)
    text = f"{abs(value) if not value else value:,.2f}"  # no "-0.00"
    return text.replace(",", "\x00").replace(".", get_format("DECIMAL_SEPARATOR")).replace(
        "\x00", get_format("THOUSAND_SEPARATOR"))


def display(column, row, value):
    """The text of a cell on the page and in the PDF, in the active locale."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not (column.numeric or column.kind in ("date", "datetime")):
        return str(value)
    if isinstance(value, (str, Promise)):  # e.g. "never" for an empty date
        return str(value)
    if column.kind == "money":
        currency = column.row_currency(row)
        text = money_text(value)
        return f"{text} {currency}" if currency else text
    if column.kind in ("percent", "decimal"):
        return floatformat(value, 1)
    if column.kind == "int":
        return localize(value)
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value) if timezone.is_aware(value) else value,
                           "SHORT_DATETIME_FORMAT")
    return date_format(value, "SHORT_DATE_FORMAT")


def html_row(columns, row, attrs=None):
    """{"level", "html": the row's <tr>}: joined here, not by a template loop per cell (a year's
    report shows a few hundred rows of ten cells)."""
    level = row.get("_level", "")
    if attrs is None:
        attrs = f' data-level="{escape(level)}"' if level else ""
        attrs += ' class="table-secondary fw-semibold"' if level == "group" else ""
    return {"level": level, "html": mark_safe(f"<tr{attrs}>{''.join(html_cell(c, row) for c in columns)}</tr>")}  # noqa: S308


def html_cell(column, row):
    value = column.value(row)
    text = display(column, row, value)
    url = row.get(f"{column.key}_url") if column.link else None
    negative = column.numeric and isinstance(value, (int, float, Decimal)) and value < 0
    css = " ".join(filter(None, ["text-end text-nowrap" if column.numeric else "",
                                 "text-danger" if negative and column.kind == "money" else ""]))
    content = format_html('<a href="{}">{}</a>', url, text) if url else conditional_escape(text)
    return f'<td class="{css}">{content}</td>' if css else f"<td>{content}</td>"


def pdf_row(columns, row):
    return {"level": row.get("_level", ""),
            "cells": [(display(c, row, c.value(row)), c.numeric) for c in columns]}


def xlsx_cell(sheet, column, row):
    value = column.value(row)
    number_format = None
    if column.kind == "money":
        currency = column.row_currency(row)
        number_format = f'#,##0.00" {currency}"' if currency else "#,##0.00"
    elif column.kind == "datetime":
        number_format = DATETIME_FORMAT
    elif column.kind == "date":
        number_format = DATE_FORMAT
    if not isinstance(value, (int, float, Decimal, datetime.date)) or isinstance(value, bool):
        number_format = None  # e.g. "never" in a date column
    return xlsx_value(sheet, value, number_format)


# --- Outputs -------------------------------------------------------------------------------------


def sheet_title(title):
    """Excel refuses : \\ / ? * [ ] in a sheet name and more than 31 characters."""
    text = str(title).translate({ord(c): " " for c in ":\\/?*[]"})
    return " ".join(text.split())[:31] or "Report"


def xlsx_response(report, tables):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title(report.title))
    for index, table in enumerate(tables):
        if len(tables) > 1:
            if index:
                sheet.append([])
            sheet.append([xlsx_value(sheet, table.caption)])
        sheet.append([xlsx_value(sheet, str(c.label)) for c in table.columns])
        for row in table.export_rows():
            sheet.append([xlsx_cell(sheet, c, row) for c in table.columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{report.slug}.xlsx"'
    return response


def pdf_response(request, report, tables, form):
    printed = []
    for table in tables:
        rows = table.print_rows(PDF_ROWS)
        printed.append({"caption": table.caption, "header": [str(c.label) for c in table.visible],
                        "rows": rows, "truncated": table.truncated})
    context = {"title": report.title, "definition": report.definition, "filters": form.summary(),
               "notes": report.notes(report.filters), "tables": printed, "limit": PDF_ROWS,
               "landscape": max(len(t["header"]) for t in printed) > WIDE_PDF,
               "generated_at": timezone.localtime(), "user": request.user}
    try:
        pdf = render_pdf("core/report_print.html", context, request=request)
    except PdfUnavailable as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report.slug}.pdf"'
    return response


# --- Views ---------------------------------------------------------------------------------------


def get_report(slug):
    if slug not in registry.reports:
        raise Http404
    return registry.reports[slug]


@contextmanager
def sort_memory(size):
    """Give PostgreSQL ``size`` of sort memory for this transaction (``SET LOCAL``); else nothing."""
    alias = dbrouter.read_alias()  # the report's reads, maybe on the replica
    conn = connections[alias]
    if not size or conn.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=alias), conn.cursor() as cursor:
        cursor.execute("SELECT current_setting('work_mem'), set_config('work_mem', %s, true)", [size])
        before = cursor.fetchone()[0]
        yield
        # An outer transaction (tests) goes on with its own setting; after an error the savepoint's
        # rollback undoes the SET LOCAL by itself.
        cursor.execute("SELECT set_config('work_mem', %s, true)", [before])


class ReportView(LoginRequiredMixin, View):
    """Any registered report: the page, ``?export=xlsx`` and ``?export=pdf``.

    Opened without filters (a bare URL, or only ``page`` / ``export``), a report uses the user's
    last filters of it (``ReportPreference``), else the form's defaults; ``?reset=1`` forgets them.
    """

    def get(self, request, slug):
        report_class = get_report(slug)
        if not report_class.has_permission(request.user):
            raise PermissionDenied
        if "reset" in request.GET:
            ReportPreference.objects.filter(user=request.user, slug=slug).delete()
            return redirect(request.path)
        params, remembered = self.filters(report_class)  # from the primary: just saved, maybe
        with dbrouter.replica_reads():
            return self.page(request, report_class, params, remembered)

    def page(self, request, report_class, params, remembered):
        slug = report_class.slug
        form = report_class.form_class(params, user=request.user)
        if remembered and not form.is_valid():  # e.g. a pipeline deleted since: the defaults
            ReportPreference.objects.filter(user=request.user, slug=slug).delete()
            params, remembered = QueryDict(), False
            form = report_class.form_class(params, user=request.user)
        context = {"report": report_class, "title": report_class.title, "form": form,
                   "query": self.query_of(params), "remembered": remembered}
        if not request.GET.get("export"):
            context["variants"] = report_class.variants(request.user)
        if not form.is_valid():
            # Bad filters are the client's error: the page with the fields named, never a file.
            return render(request, "core/report.html", context, status=400)
        with sort_memory(report_class.sort_memory):
            return self.respond(request, report_class, form, context, params, remembered)

    def respond(self, request, report_class, form, context, params, remembered):
        slug = report_class.slug
        report = report_class(request.user, form.cleaned_data, form)
        tables = report.get_tables()
        kind = request.GET.get("export")
        if kind == "xlsx":
            return xlsx_response(report, tables)
        if kind == "pdf":
            return pdf_response(request, report, tables, form)
        if params and not remembered:
            # one upsert statement: the same cost on every visit
            ReportPreference.objects.bulk_create(
                [ReportPreference(user=request.user, slug=slug, query=params.urlencode())],
                update_conflicts=True, unique_fields=["user", "slug"], update_fields=["query", "updated_at"])
        tables = [t.for_page(request) for t in tables]
        context.update({"data": report.result, "tables": tables, "notes": report.notes(form.cleaned_data),
                        "charts": report.chart_specs(tables),
                        "page": next((t.page for t in tables if t.page is not None), None),
                        "empty": not any(t.rows for t in tables)})
        return render(request, "core/report.html", context)

    def filters(self, report_class):
        """(the filter values of the request, else the remembered ones; whether remembered)."""
        names = set(report_class.form_class.base_fields)
        params = QueryDict(mutable=True)
        for key, values in self.request.GET.lists():
            if key in names:
                params.setlist(key, values)
        if params:
            return params, False
        preference = ReportPreference.objects.filter(user=self.request.user, slug=report_class.slug).first()
        if preference and preference.query:
            return QueryDict(preference.query), True
        return params, False

    @staticmethod
    def query_of(params):
        """The filters of the page, carried by its export and pagination links."""
        return urlencode([(k, v) for k, values in params.lists() for v in values])


def visible_reports(user):
    return [r for r in registry.reports if r.has_permission(user)]


class ReportIndexView(LoginRequiredMixin, View):
    def get(self, request):
        groups = {}
        for report in sorted(visible_reports(request.user), key=lambda r: r.group_order):
            groups.setdefault(str(report.group), []).append(report)
        return render(request, "core/reports_index.html", {"groups": list(groups.items())})


def legacy_urlpatterns(*report_classes, index=True):
    """``path()``s keeping an app's old report URL names working: the old index redirects to
    /reports/; an old report URL serves the same report (an alias, so bookmarks, links elsewhere and
    the bench keep their filters and get a 200)."""
    from django.urls import path

    patterns = [path("reports/", login_required(lambda request: redirect("reports")), name="report_index")] \
        if index else []
    for report in report_classes:
        _app, _sep, name = report.legacy_url.partition(":")
        patterns.append(path(f"reports/{slugify(report.slug)}/", ReportView.as_view(), {"slug": report.slug},
                             name=name))
    return patterns


def register(report_class, order=100):
    """Register a report class under its slug; usable as a decorator."""
    return registry.reports.register(report_class.slug, report_class, order=order)
