"""Template filters of the order pages."""

from django import template

from ..services.orders import quantity_text

register = template.Library()


@register.filter
def qty(value):
    """A quantity without trailing zeros, localized: 2.500 → "2,5", 3.000 → "3"."""
    if value in (None, ""):
        return ""
    return quantity_text(value)
