"""``{% card_panels "clients.counterparty" object %}``: the panels apps registered for a card."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from core.cards import panels_for

register = template.Library()


@register.simple_tag(takes_context=True)
def card_panels(context, card, obj):
    request = context.get("request")
    if request is None:
        return ""
    # Each panel's template escapes its own values: the joined HTML is safe.
    return mark_safe("".join(render_to_string(panel.template, {"object": obj, **panel_context}, request=request)
                             for panel, panel_context in panels_for(card, request, obj)))
