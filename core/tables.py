"""Declarative list tables: columns, their labels, sort keys and how a cell is shown.

Apps add columns to another app's table with ``register_column`` (``registry.table_columns``):
the column comes after the declared ones, in the page and the exports, and its ``prepare(qs)``
lets the list select or annotate what the column reads (no query per row).
"""

import datetime
import html
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format, localize
from django.utils.html import conditional_escape, escape, strip_tags
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core import registry


class Column:
    def __init__(self, label, accessor=None, order_by=None, linkify=False, render=None, export=True,
                 css=""):
        self.label = label
        self.css = css
        self.accessor = accessor
        self.order_by = order_by  # a non-null model field: keyset pagination relies on it
        self.linkify = linkify
        self.render_fn = render
        self.export = export
        self.name = None

    def raw(self, obj):
        value = obj
        for part in (self.accessor or self.name).split("."):
            if value is None:
                return None
            value = getattr(value, part)
            if callable(value) and not hasattr(value, "all"):
                value = value()
        return value

    def text(self, obj):
        """Plain value for export: rendered HTML (links) becomes its text."""
        value = self.value(obj)
        if hasattr(value, "__html__"):
            return html.unescape(strip_tags(value))
        return value

    def value(self, obj):
        if self.render_fn:
            return self.render_fn(obj)
        value = self.raw(obj)
        display = getattr(obj, f"get_{self.name}_display", None)
        if display and self.accessor is None:
            return display()
        if isinstance(value, bool):
            return "✓" if value else ""
        return "" if value is None else value

    def html(self, obj):
        value = self.value(obj)
        if isinstance(value, datetime.datetime):
            value = date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
        elif isinstance(value, datetime.date):
            value = date_format(value, "SHORT_DATE_FORMAT")
        elif not isinstance(value, str) or not hasattr(value, "__html__"):
            value = localize(value) if value != "" else ""
        if self.linkify and hasattr(obj, "get_absolute_url"):
            return f'<a href="{escape(obj.get_absolute_url())}">{conditional_escape(value or "—")}</a>'
        return conditional_escape(value)


@dataclass(frozen=True)
class TableColumn:
    """A column an app adds to a table named by ``Table.label()`` (e.g. "clients.CounterpartyTable")."""

    table: str
    key: str  # the column's name: its ``?sort=`` value
    column: Column
    prepare: Callable | None = None  # prepare(queryset) -> queryset, applied by the list view


def register_column(table, key, column, prepare=None, order=100):
    column.name = key
    return registry.table_columns.register(f"{table}:{key}", TableColumn(table, key, column, prepare), order=order)


def unregister_column(table, key):
    registry.table_columns.unregister(f"{table}:{key}")


class TableMeta(type):
    def __new__(mcs, name, bases, attrs):
        columns = {}
        for base in bases:
            columns.update(getattr(base, "base_columns", {}))
        for key, value in list(attrs.items()):
            if isinstance(value, Column):
                value.name = key
                columns[key] = attrs.pop(key)
        attrs["base_columns"] = columns
        return super().__new__(mcs, name, bases, attrs)


class Table(metaclass=TableMeta):
    """Subclass with Column attributes; ``default_sort`` names a sortable column."""

    default_sort = None
    selectable = False

    def __init__(self, rows, sort=None):
        self.rows = rows
        self.columns = list(self.all_columns().values())
        self.sort = sort

    @classmethod
    def label(cls):
        """The name other apps register columns under: "<app>.<class name>"."""
        return f"{cls.__module__.split('.')[0]}.{cls.__name__}"

    @classmethod
    def contributed(cls):
        return [item for item in registry.table_columns if item.table == cls.label()]

    @classmethod
    def all_columns(cls):
        """Declared columns, then the registered ones (a declared name wins)."""
        columns = dict(cls.base_columns)
        for item in cls.contributed():
            columns.setdefault(item.key, item.column)
        return columns

    @classmethod
    def prepare(cls, queryset):
        """The list's queryset with what the registered columns read selected / annotated."""
        for item in cls.contributed():
            if item.prepare is not None and item.key not in cls.base_columns:
                queryset = item.prepare(queryset)
        return queryset

    @classmethod
    def ordering_for(cls, sort):
        """Validated (sort name, ordering list ending in the unique id)."""
        desc = bool(sort) and sort.startswith("-")
        columns = cls.all_columns()
        column = columns.get((sort or "").lstrip("-"))
        if column is None or not column.order_by:
            sort = cls.default_sort  # may start with "-" for newest first
            desc = sort.startswith("-")
            column = columns[sort.lstrip("-")]
        field = column.order_by
        sign = "-" if desc else ""
        return (f"{sign}{column.name}", [f"{sign}{field}", f"{sign}id"])

    def body(self):
        """(row, [(cell html, css)]) per row: what the page shows, for tests and callers."""
        return [(obj, [(mark_safe(col.html(obj)), col.css) for col in self.columns]) for obj in self.rows]

    def body_html(self, selectable=False):
        """The page's <tr> rows, joined here: a template loop over every cell of a 50-row page
        cost more CPU than the page's queries."""
        label = escape(_("Select"))  # outside the f-string: makemessages reads no calls in one
        checkbox = ('<td><input type="checkbox" class="form-check-input row-select" name="pk" value="{}" '
                    f'aria-label="{label}"></td>') if selectable else ""
        opening = [f'<td class="{escape(col.css)}">' if col.css else "<td>" for col in self.columns]
        rows = []
        for obj in self.rows:
            cells = "".join(f"{td}{col.html(obj)}</td>" for td, col in zip(opening, self.columns, strict=True))
            rows.append(f"<tr>{checkbox.format(escape(obj.pk))}{cells}</tr>")
        return mark_safe("\n".join(rows))

    def headers(self):
        result = []
        for col in self.columns:
            current = self.sort.lstrip("-") == col.name if self.sort else False
            desc = current and self.sort.startswith("-")
            next_sort = (col.name if desc or not current else f"-{col.name}") if col.order_by else None
            result.append({"label": col.label, "sort": next_sort, "current": current, "desc": desc})
        return result

    def export_rows(self):
        cols = [c for c in self.columns if c.export]
        yield [str(c.label) for c in cols]
        for obj in self.rows:
            yield [c.text(obj) for c in cols]
