"""Names of built-in reference rows (interaction types, stages, reasons…) in the reader's language.

A built-in row has a stable ``code`` and is created with an English default name, a gettext
msgid. Until an administrator renames it, the row's ``name`` reads as that msgid translated into
the active language; once renamed, the custom name shows as typed in every language. The model
lists its built-ins in ``BUILTIN_NAMES = {code: Builtin(msgid, legacy)}``.

- Reading ``obj.name`` (hence ``str(obj)``, form choices and initial values, tables, exports and
  the API) gives the display name. Queries (``filter(name=…)``, ``values()``, ordering, search)
  see the stored value: the msgid for a built-in row that was not renamed.
- Saving a built-in row under its default name in any language (an unchanged form in ru, en or
  ro) stores the msgid again, so it stays "not renamed".
- ``legacy`` is the Russian name the row was created with before names were translated: the
  data migrations turn such rows into not-renamed built-ins, and it is the Russian display name
  while the catalog lacks a translation.
"""

import functools
from typing import NamedTuple

from django.conf import settings
from django.db import models
from django.db.models.query_utils import DeferredAttribute
from django.utils import translation
from django.utils.translation import gettext


class Builtin(NamedTuple):
    msgid: str
    legacy: str = ""


def _translated(entry):
    text = gettext(entry.msgid)
    if text == entry.msgid and entry.legacy and translation.get_language() == "ru":
        return entry.legacy  # no catalog entry yet: the name the row always had
    return text


@functools.lru_cache(maxsize=512)
def default_spellings(entry):
    """Every way the default name may be written: msgid, legacy name, each language's translation."""
    spellings = {entry.msgid}
    if entry.legacy:
        spellings.add(entry.legacy)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            spellings.add(_translated(entry))
    return frozenset(spellings)


def builtin_of(instance):
    names = getattr(type(instance), "BUILTIN_NAMES", None)  # historical models have none
    code = instance.__dict__.get("code") if names else None
    return names.get(code) if code else None


def display_name(instance, stored):
    entry = builtin_of(instance)
    if entry is not None and stored in default_spellings(entry):
        return _translated(entry)
    return stored


class BuiltinNameDescriptor(DeferredAttribute):
    """A data descriptor, so reading the attribute always goes through the translation."""

    def __get__(self, instance, cls=None):
        stored = super().__get__(instance, cls)
        if instance is None:
            return stored
        return display_name(instance, stored)

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value


class BuiltinNameField(models.CharField):
    """The ``name`` of a reference model with built-in rows (see the module docstring)."""

    descriptor_class = BuiltinNameDescriptor

    def pre_save(self, instance, add):
        stored = instance.__dict__.get(self.attname)
        entry = builtin_of(instance)
        if entry is not None and stored in default_spellings(entry):
            stored = entry.msgid
            instance.__dict__[self.attname] = stored
        return stored

    def value_from_object(self, obj):
        return getattr(obj, self.attname)
