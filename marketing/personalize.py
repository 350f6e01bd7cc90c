"""Mailing templates: ``{{ name }}`` placeholders for a fixed set of variables, nothing else.

Users write these templates, so they never reach a template engine: a ``{% tag %}``, a filter
(``{{ x|upper }}``) or attribute access (``{{ client.manager.password }}``) is not a placeholder
and is sent exactly as written.
"""

import re

from django.utils.translation import gettext_lazy as _

VARIABLES = {
    "first_name": _("first name (the client's name for a client's own address)"),
    "middle_name": _("middle name"),
    "last_name": _("last name"),
    "full_name": _("full name"),
    "client_name": _("client name"),
    "manager_name": _("main manager"),
}
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


def render(template, context):
    """``template`` with each known ``{{ variable }}`` replaced by its value in ``context``."""
    def value(match):
        name = match.group(1)
        return str(context.get(name, "")) if name in VARIABLES else match.group(0)

    return PLACEHOLDER.sub(value, template or "")


def unknown_variables(template):
    """Placeholder-looking names that are not variables (the form warns about them)."""
    return sorted({m.group(1) for m in PLACEHOLDER.finditer(template or "")} - set(VARIABLES))


def context_for(counterparty, person=None):
    """The variables for one recipient: the person's names, or the client's for its own address."""
    manager = counterparty.main_manager
    ctx = {"client_name": counterparty.name,
           "manager_name": (manager.get_full_name() or manager.username) if manager else ""}
    if person is not None:
        ctx.update(first_name=person.first_name, middle_name=person.middle_name, last_name=person.last_name,
                   full_name=person.full_name)
    else:
        ctx.update(first_name=counterparty.name, middle_name="", last_name="", full_name=counterparty.name)
    return ctx


def subject_line(text):
    """One line: a value with a line break must not become a header of its own."""
    return " ".join((text or "").split())[:300]
