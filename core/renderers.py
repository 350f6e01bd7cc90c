"""The form renderer: Django's templates, with the commonest widgets rendered in Python.

A select renders a template include per option and per attribute: the client list's filter
sidebar spent ~25 of its ~85 ms of app CPU in widget templates. Inputs, selects and text areas
whose context is the usual one are written here instead, to the same markup (checked against the
templates by ``core/tests/test_renderers.py``); anything else goes to the templates.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData

WIDGETS = "django/forms/widgets/"
INPUTS = {f"{WIDGETS}{name}.html" for name in (
    "input", "text", "number", "email", "url", "password", "hidden", "date", "datetime", "time", "search",
    "tel", "color", "checkbox")}
SELECT, OPTION, TEXTAREA = f"{WIDGETS}select.html", f"{WIDGETS}select_option.html", f"{WIDGETS}textarea.html"


class Fallback(Exception):
    """The context holds something only the template renders the same way."""


def text(value):
    """``{{ value }}`` of a string (lazy or safe): what the template prints for it."""
    if not isinstance(value, (str, Promise)):
        raise Fallback
    return conditional_escape(value)


def formatted(value):
    """``{{ value|stringformat:'s' }}``: ``%s`` of anything, escaped unless it was safe."""
    if isinstance(value, tuple):
        value = str(value)
    try:
        out = "%s" % value  # noqa: UP031 (the filter's own spelling)
    except (ValueError, TypeError):
        return ""
    return out if isinstance(value, SafeData) else conditional_escape(out)


def attrs(values):
    out = []
    for name, value in values.items():
        if value is False:
            continue
        out.append(f" {text(name)}" if value is True else f' {text(name)}="{formatted(value)}"')
    return "".join(out)


def render_input(widget):
    value = "" if widget["value"] is None else f' value="{formatted(widget["value"])}"'
    return f'<input type="{text(widget["type"])}" name="{text(widget["name"])}"{value}{attrs(widget["attrs"])}>'


def render_option(option):
    if option.get("template_name") != OPTION:
        raise Fallback
    return (f'<option value="{formatted(option["value"])}"{attrs(option["attrs"])}>'
            f'{text(option["label"])}</option>\n')


def render_select(widget):
    out = [f'<select name="{text(widget["name"])}"{attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{text(group_name)}">')
        out.extend(f"\n  {render_option(option)}" for option in group_choices)
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


def render_textarea(widget):
    value = text(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{text(widget["name"])}"{attrs(widget["attrs"])}>\n{value}</textarea>'


FAST = {SELECT: render_select, TEXTAREA: render_textarea}


class FastWidgetRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        fast = render_input if template_name in INPUTS else FAST.get(template_name)
        widget = context.get("widget")
        if fast is not None and isinstance(widget, dict) and widget.get("template_name") == template_name:
            try:
                return fast(widget).strip()
            except (Fallback, KeyError):
                pass
        return super().render(template_name, context, request)
