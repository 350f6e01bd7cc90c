from django import template
from django.utils.html import format_html

from clients.models import PHONE_KINDS, ContactKind

register = template.Library()


@register.simple_tag
def contact_link(info):
    if info.kind in PHONE_KINDS:
        return format_html('<a href="tel:{}">{}</a>', info.value, info.display_value)
    if info.kind == ContactKind.EMAIL:
        return format_html('<a href="mailto:{}">{}</a>', info.value, info.value)
    if info.kind == ContactKind.WEBSITE and info.value.startswith(("http://", "https://")):
        return format_html('<a href="{}" rel="noopener nofollow" target="_blank">{}</a>', info.value, info.value)
    return info.value
