"""Sane bounds for dates and date-times taken from users (forms, API, filters, query strings).

Outside them Python overflows (``9999-12-31`` + one day, ``0001-01-01`` in a time zone east
of UTC) and dates before 1900 come out with local mean time offsets such as ``+02:30:17``,
which are not RFC 3339. Every date a user can type goes through one of these.
"""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2999, 12, 31)

OUT_OF_RANGE = _("Enter a date between %(min)s and %(max)s.")


def out_of_range_message():
    return OUT_OF_RANGE % {"min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()}


def in_range(value):
    """True if the date (or the date of a date-time) lies within [MIN_DATE, MAX_DATE]."""
    if isinstance(value, dt.datetime):
        value = value.date()
    return MIN_DATE <= value <= MAX_DATE


def validate_date_range(value):
    """A validator for form, model and serializer fields of dates and date-times."""
    if value is not None and not in_range(value):
        raise ValidationError(out_of_range_message(), code="date_range")


def parse_bounded_date(text, default=None):
    """A date from a query string: ``default`` when empty, malformed or out of range."""
    try:
        day = parse_date((text or "").strip())
    except ValueError:  # well formed but impossible, e.g. 2024-02-30
        return default
    return day if day is not None and in_range(day) else default


class BoundedDateField(forms.DateField):
    """A form DateField refusing dates outside [MIN_DATE, MAX_DATE] (with the bounds as min/max)."""

    default_validators = [validate_date_range]

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.setdefault("min", MIN_DATE.isoformat())
        attrs.setdefault("max", MAX_DATE.isoformat())
        return attrs


class BoundedDateTimeField(forms.DateTimeField):
    default_validators = [validate_date_range]


def bound_form_field(field):
    """Add the range validator to an existing form Date/DateTime field (idempotent)."""
    if isinstance(field, (forms.DateField, forms.DateTimeField)) and validate_date_range not in field.validators:
        field.validators.append(validate_date_range)
    return field


def validate_serializer_date_range(value):
    if value is not None and not in_range(value):
        raise serializers.ValidationError(out_of_range_message(), code="date_range")


class SerializerDateField(serializers.DateField):
    """A DRF DateField within [MIN_DATE, MAX_DATE]."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(validate_serializer_date_range)


class SerializerDateTimeField(serializers.DateTimeField):
    """A DRF DateTimeField within the bounds, checked before the time zone is applied
    (DRF overflows on a naive 0001-01-01 in a zone east of UTC)."""

    def enforce_timezone(self, value):
        validate_serializer_date_range(value)
        return super().enforce_timezone(value)
