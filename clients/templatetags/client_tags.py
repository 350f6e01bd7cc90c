import functools

from django import template
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from clients.models import PHONE_KINDS, ContactKind
from clients.validators import format_phone, normalize_phone

register = template.Library()


@register.filter
def phone_link(value):
    """A phone number in any format as a click-to-call ``tel:`` link (E.164 in the link, the
    readable form shown); what does not parse as a phone is shown as it is."""
    return _phone_link((value or "").strip(), settings.KLIENTURA_COUNTRY)


@functools.lru_cache(maxsize=4096)
def _phone_link(value, country):
    # Parsing a number costs ~0.1 ms; a list page shows 50 of them, most seen before.
    try:
        number = normalize_phone(value, country)
    except ValidationError:
        return value
    return format_html('<a href="tel:{}">{}</a>', number, format_phone(number))


@register.simple_tag
def contact_link(info):
    if info.kind in PHONE_KINDS:
        return phone_link(info.value)
    if info.kind == ContactKind.EMAIL:
        return format_html('<a href="mailto:{}">{}</a>', info.value, info.value)
    if info.kind == ContactKind.WEBSITE and info.value.startswith(("http://", "https://")):
        return format_html('<a href="{}" rel="noopener nofollow" target="_blank">{}</a>', info.value, info.value)
    return info.value
