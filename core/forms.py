"""Base forms: optimistic locking, custom properties, bootstrap styling, scoped choices."""

import datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib.auth import get_user_model
from django.forms.models import ModelFormMetaclass
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import access, history
from core.dates import bound_form_field
from core.filtersets import BoundedChoiceMixin, bounded_field_class
from core.models import CustomProperty, PropertyKind, RestrictedQuerySet

# What <input type="date"> and "datetime-local" accept, whatever the UI language: a localized
# value (31.01.2022) is dropped by the browser and an unchanged save would clear the field.
ISO_FORMATS = {"date": "%Y-%m-%d", "datetime-local": "%Y-%m-%dT%H:%M"}


class DateInput(forms.DateInput):
    """A date picker that always renders ISO (YYYY-MM-DD)."""

    input_type = "date"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs, format or ISO_FORMATS["date"])


class DateTimeInput(forms.DateTimeInput):
    """A local date-time picker that always renders ISO (YYYY-MM-DDTHH:MM)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs, format or ISO_FORMATS["datetime-local"])

    def format_value(self, value):
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            value = timezone.localtime(value)
        return super().format_value(value)


def force_iso_format(widget):
    """Make a date / datetime-local input render ISO, however it was declared."""
    if isinstance(widget, forms.widgets.DateTimeBaseInput):
        iso = ISO_FORMATS.get(widget.attrs.get("type", widget.input_type))
        if iso:
            widget.format = iso


class BootstrapMixin:
    def _style(self):
        for field in self.fields.values():
            widget = field.widget
            force_iso_format(widget)
            bound_form_field(field)  # 0001-01-01 would overflow in the time zone, 9999-12-31 + 1 day too
            if isinstance(field, forms.ModelChoiceField) and not isinstance(field, BoundedChoiceMixin):
                # an id beyond bigint is a 400, not an overflow in the driver
                field.__class__ = bounded_field_class(type(field))
            if isinstance(widget, (forms.CheckboxInput,)):
                css = "form-check-input"
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select"
            elif isinstance(widget, forms.CheckboxSelectMultiple):
                css = ""
            else:
                css = "form-control"
            classes = widget.attrs.get("class", "").split()
            if css and css not in classes:
                widget.attrs["class"] = " ".join([*classes, css])


def restrict_choices(form, user):
    """Narrow every choice field over a scoped model to the rows ``user`` may see.

    Runs after the form's own ``__init__`` (see ``ScopedFormMetaclass``), so querysets a form
    sets itself, including dependent ones (the contact persons of the chosen client), are
    narrowed too: a form can never offer, accept or re-show a row outside the user's scope.
    """
    for field in form.fields.values():
        qs = getattr(field, "queryset", None)
        if isinstance(qs, RestrictedQuerySet):
            field.queryset = qs.restrict(user, access.VIEW)


class ScopedFormMetaclass(ModelFormMetaclass):
    def __call__(cls, *args, **kwargs):
        form = super().__call__(*args, **kwargs)
        restrict_choices(form, form.user)
        return form


class BaseModelForm(BootstrapMixin, forms.ModelForm, metaclass=ScopedFormMetaclass):
    """Carries the record's version so that a save based on stale data is refused.

    Every choice field over a restricted model is narrowed to the user's scope (NetBox-style).
    """

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        self._style()

    def _get_validation_exclusions(self):
        # System fields (deleted_at) are not on the form, but conditional unique
        # constraints depend on them: keep them in validate_constraints().
        return super()._get_validation_exclusions() - {"deleted_at"}

    def _save_m2m(self):
        with history.m2m_with_last_record(self.instance):
            super()._save_m2m()

    def clean(self):
        data = super().clean()
        if self.instance.pk:
            if data.get("version") is None:
                raise forms.ValidationError(_("The form is missing the record version; reload the page."))
            self.instance.version = data["version"]
        return data


def property_field(prop):
    label, required, help_text = prop.name, prop.required, prop.help_text
    common = {"label": label, "required": required, "help_text": help_text}
    if prop.kind == PropertyKind.NUMBER:
        return forms.DecimalField(max_digits=20, decimal_places=4, **common)
    if prop.kind == PropertyKind.DATE:
        return forms.DateField(widget=DateInput, **common)
    if prop.kind == PropertyKind.BOOLEAN:
        return forms.NullBooleanField(**{**common, "required": False})
    if prop.kind == PropertyKind.CHOICE:
        return forms.ChoiceField(choices=[("", "—")] + [(c, c) for c in prop.choices], **common)
    if prop.kind == PropertyKind.MULTI:
        return forms.MultipleChoiceField(choices=[(c, c) for c in prop.choices],
                                         widget=forms.CheckboxSelectMultiple, **common)
    if prop.kind == PropertyKind.USER:
        users = get_user_model().objects.filter(is_active=True)
        return forms.ModelChoiceField(queryset=users, **common)
    return forms.CharField(max_length=1000, **common)


def to_json(prop, value):
    """A cleaned form value as stored in the JSON ``properties`` column."""
    if value in (None, "", []):
        return None
    if prop.kind == PropertyKind.NUMBER:
        value = Decimal(value)
        return int(value) if value == value.to_integral_value() else float(value)
    if prop.kind == PropertyKind.DATE:
        return value.isoformat()
    if prop.kind == PropertyKind.USER:
        return value.pk
    if prop.kind == PropertyKind.MULTI:
        return list(value)
    return value


def from_json(prop, value):
    if value is None:
        return None
    try:
        if prop.kind == PropertyKind.DATE:
            return datetime.date.fromisoformat(value)
        if prop.kind == PropertyKind.NUMBER:
            return Decimal(str(value))
    except (ValueError, InvalidOperation):
        return None
    return value


class CustomPropertiesMixin:
    """Adds a ``prop_<code>`` field per custom property and stores values in ``properties``."""

    def add_property_fields(self):
        self.custom_properties = list(CustomProperty.for_model(self._meta.model))
        stored = self.instance.properties or {}
        for prop in self.custom_properties:
            name = f"prop_{prop.code}"
            self.fields[name] = property_field(prop)
            self.initial[name] = from_json(prop, stored.get(prop.code))

    def property_field_names(self):
        return [f"prop_{p.code}" for p in self.custom_properties]

    def store_properties(self):
        values = dict(self.instance.properties or {})
        for prop in self.custom_properties:
            value = to_json(prop, self.cleaned_data.get(f"prop_{prop.code}"))
            if value is None:
                values.pop(prop.code, None)
            else:
                values[prop.code] = value
        self.instance.properties = values


class AttachmentForm(BootstrapMixin, forms.Form):
    """A file for a record's attachments (core.attachments): size and emptiness checked here,
    with the message on ``file``."""

    file = forms.FileField(label=_("File"))
    description = forms.CharField(label=_("Description"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from django.conf import settings

        self.fields["file"].help_text = _("At most %(mb)s MB.") % {"mb": settings.KLIENTURA_ATTACHMENT_MAX_MB}
        self.fields["file"].widget.attrs["data-testid"] = "attachment-file"
        self._style()

    def clean_file(self):
        from core.attachments import check_size

        upload = self.cleaned_data["file"]
        check_size(upload.size)
        return upload
