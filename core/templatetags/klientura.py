from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.simple_tag
def money(amount, currency):
    """Decimal amount with two places, locale separators and the currency code."""
    if amount is None:
        return ""
    return f"{number_format(Decimal(amount), 2, force_grouping=True)} {currency}"


@register.simple_tag
def table_body(table, can_change):
    """A list table's rows, with the selection checkbox where rows can be changed in a batch."""
    return table.body_html(selectable=table.selectable and can_change)
