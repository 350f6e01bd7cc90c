"""Base FilterSet: one per model serves the list, the API, saved filters and exports."""

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import django_filters
from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms.models import ModelChoiceIterator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core import registry
from core.dates import bound_form_field
from core.models import CustomProperty, PropertyKind

# Integer columns are signed 64-bit: a larger "id" must be a 400, not an overflow in the driver.
MAX_ID = 2**63 - 1


def fits_bigint(value):
    """False for an integer outside the bigint range; True otherwise (non-numbers are the field's job)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return True
    return -MAX_ID <= number <= MAX_ID


class BoundedChoiceMixin:
    """A model choice field that refuses ids a bigint cannot hold before querying with them."""

    def clean(self, value):
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if item not in self.empty_values and not fits_bigint(item):
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                                      params={"value": item})
        return super().clean(value)


@cache
def bounded_field_class(field_class):
    return type(f"Bounded{field_class.__name__}", (BoundedChoiceMixin, field_class), {})


def bound_filter(flt):
    """Keep a filter's input within what the database can compare (ids, numbers, dates)."""
    flt.__dict__.pop("_field", None)  # a field built before (e.g. on the class) is rebuilt
    if isinstance(flt, (django_filters.ModelChoiceFilter, django_filters.ModelMultipleChoiceFilter)):
        flt.field_class = bounded_field_class(flt.field_class)
    elif isinstance(flt, django_filters.NumberFilter):
        flt.extra.setdefault("validators", [MinValueValidator(-MAX_ID), MaxValueValidator(MAX_ID)])


class ChosenObjectWidget(forms.HiddenInput):
    """An id or a code that arrives by a link (``?counterparty=66``), not typed by anyone.

    Hidden in the sidebar; when set, the object's name (if the user may see it) is shown with
    a link that clears the filter. ``model`` is a label such as ``"clients.Counterparty"``.
    """

    def __init__(self, model, to_field="pk", attrs=None):
        super().__init__(attrs)
        self.model, self.to_field = model, to_field
        self.user = self.query = None  # set by BaseFilterSet from the request

    def shown(self, value):
        model = apps.get_model(self.model)
        qs = model.objects.restrict(self.user) if self.user is not None else model.objects.none()
        try:
            obj = qs.filter(**{self.to_field: value}).first()
        except (ValueError, TypeError, ValidationError):
            obj = None
        return str(obj) if obj is not None else f"#{value}"

    def render(self, name, value, attrs=None, renderer=None):
        hidden = super().render(name, value, attrs, renderer)
        if value in (None, ""):
            return hidden
        query = self.query.copy() if self.query is not None else None
        clear = "?"
        if query is not None:
            for key in (name, "cursor"):
                query.pop(key, None)
            clear += query.urlencode()
        return format_html(
            '{}<div class="mb-2 small" data-testid="chosen-{}"><span class="text-body-secondary">{}:</span> '
            '{} <a href="{}" class="text-danger" title="{}" aria-label="{}"><i class="bi bi-x-circle"></i></a></div>',
            hidden, name, model_verbose_name(self.model), self.shown(value), clear,
            _("Clear"), _("Clear"))


def model_verbose_name(label):
    return str(apps.get_model(label)._meta.verbose_name).capitalize()


@dataclass(frozen=True)
class ModelFilter:
    """A filter an app adds to every FilterSet of another app's model (``registry.model_filters``).

    ``factory()`` returns a new ``django_filters.Filter``; the list sidebar, the API (and its
    schema), saved filters and exports then filter by it like by a declared one.
    """

    model: str  # label_lower, e.g. "clients.counterparty"
    name: str
    factory: Callable


# Every BaseFilterSet subclass, so a filter registered after a FilterSet was defined reaches it.
_filtersets = weakref.WeakSet()


def _model_label(filterset):
    model = filterset._meta.model
    return model._meta.label_lower if model is not None else None


def register_filter(model_label, name, factory, order=100):
    """Add the filter ``name`` (built by ``factory()``) to the FilterSets of ``model_label``.

    A filter the FilterSet declares itself keeps precedence.
    """
    item = ModelFilter(model_label.lower(), name, factory)
    registry.model_filters.register(f"{item.model}:{name}", item, order=order)
    for filterset in list(_filtersets):
        if _model_label(filterset) == item.model and name not in filterset.declared_filters:
            filterset.base_filters[name] = factory()
    return item


def unregister_filter(model_label, name):
    label = model_label.lower()
    registry.model_filters.unregister(f"{label}:{name}")
    for filterset in list(_filtersets):
        if _model_label(filterset) == label and name not in filterset.declared_filters:
            filterset.base_filters.pop(name, None)


def registered_filters(model):
    label = model._meta.label_lower
    return {item.name: item.factory() for item in registry.model_filters if item.model == label}


class ReadAtOnce:
    """A select's options read in one query. Django reads them with ``iterator()``, which on
    PostgreSQL is a server-side cursor: DECLARE, FETCH and CLOSE, three round trips per select of
    a filter sidebar for a few dozen rows."""

    _prefetch_related_lookups = ()

    def __init__(self, queryset):
        self.queryset = queryset

    def iterator(self):
        return iter(list(self.queryset))

    def __getattr__(self, name):
        return getattr(self.queryset, name)


class BaseFilterSet(django_filters.FilterSet):
    """Every filter's input is bounded here, so bad query strings are a 400 naming the filter:
    ids that overflow a bigint, numbers likewise, dates outside core.dates' range.

    Filters other apps registered for the model (``register_filter``) are added to
    ``base_filters``, whichever was first: the FilterSet or the registration."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _filtersets.add(cls)

    @classmethod
    def get_filters(cls):
        filters = super().get_filters()
        if cls._meta.model is not None:
            for name, flt in registered_filters(cls._meta.model).items():
                filters.setdefault(name, flt)
        return filters

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        if hasattr(self.queryset.model, "properties"):
            self.add_property_filters()
        for flt in self.filters.values():
            bound_filter(flt)
        for f in self.form.fields.values():
            bound_form_field(f)
            widget = f.widget
            if isinstance(widget, ChosenObjectWidget) and self.request is not None:
                widget.user, widget.query = getattr(self.request, "user", None), self.request.GET
            if isinstance(getattr(widget, "choices", None), ModelChoiceIterator):
                widget.choices.queryset = ReadAtOnce(widget.choices.queryset)
            if isinstance(widget, (forms.Select, forms.SelectMultiple)):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            elif not isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-control form-control-sm")

    def add_property_filters(self):
        for prop in CustomProperty.for_model(self.queryset.model):
            for name, flt in property_filters(prop).items():
                flt.model = self.queryset.model
                flt.parent = self
                self.filters[name] = flt


def _prop_filter(key, lookup):
    def method(queryset, name, value):
        if value in (None, "", []):
            return queryset
        if hasattr(value, "pk"):
            value = value.pk
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        if isinstance(value, Decimal):
            value = int(value) if value == value.to_integral_value() else float(value)
        return queryset.filter(**{f"properties__{key}__{lookup}": value})

    return method


def property_filters(prop):
    """Filters for one custom property, named ``prop_<code>`` (and _min/_max for ranges)."""
    code, label = prop.code, prop.name
    if prop.kind == PropertyKind.NUMBER:
        return {
            f"prop_{code}_min": django_filters.NumberFilter(label=f"{label} ≥", method=_prop_filter(code, "gte")),
            f"prop_{code}_max": django_filters.NumberFilter(label=f"{label} ≤", method=_prop_filter(code, "lte")),
        }
    if prop.kind == PropertyKind.DATE:
        widget = forms.DateInput(attrs={"type": "date"})
        return {
            f"prop_{code}_after": django_filters.DateFilter(label=f"{label} ≥", widget=widget,
                                                            method=_prop_filter(code, "gte")),
            f"prop_{code}_before": django_filters.DateFilter(label=f"{label} ≤", widget=widget,
                                                             method=_prop_filter(code, "lte")),
        }
    if prop.kind == PropertyKind.BOOLEAN:
        return {f"prop_{code}": django_filters.BooleanFilter(label=label, method=_prop_filter(code, "exact"))}
    if prop.kind in (PropertyKind.CHOICE, PropertyKind.MULTI):
        lookup = "has_element" if prop.kind == PropertyKind.MULTI else "exact"
        return {f"prop_{code}": django_filters.ChoiceFilter(
            label=label, choices=[(c, c) for c in prop.choices], method=_prop_filter(code, lookup))}
    if prop.kind == PropertyKind.USER:
        return {f"prop_{code}": django_filters.ModelChoiceFilter(
            label=label, queryset=get_user_model().objects.all(), method=_prop_filter(code, "exact"))}
    return {f"prop_{code}": django_filters.CharFilter(label=label, method=_prop_filter(code, "icontains"))}


YES_NO = [("true", _("Yes")), ("false", _("No"))]


def name_filterset(model):
    """A FilterSet with a name search, for short settings lists."""
    meta = type("Meta", (), {"model": model, "fields": []})
    return type(f"{model.__name__}FilterSet", (BaseFilterSet,), {
        "Meta": meta,
        "q": django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name")),
    })
