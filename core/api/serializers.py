"""Base serializer: model validation, custom properties, restricted relations, locking.

A model's serializer is ``class Meta(BaseModelSerializer.Meta): model = X``; everything
the UI form enforces (model.clean(), access to related rows, who may assign records,
optimistic locking, history user) is enforced here once for every model.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import model_meta

from core import access, history
from core.dates import SerializerDateField, SerializerDateTimeField, in_range, out_of_range_message
from core.forms import property_field, to_json
from core.models import CustomProperty, PropertyKind

from .exceptions import drf_validation_error
from .m2m import IdsRelatedField

PROPERTIES = "properties"
# Custom property values are flat (a string, number, boolean or a list of strings): anything
# nested deeper, or larger, is refused before it is walked, stored or echoed back.
PROPERTIES_MAX_DEPTH = 3
PROPERTIES_MAX_BYTES = 64 * 1024


def json_depth_exceeds(value, limit):
    """True if ``value`` nests dicts / lists deeper than ``limit`` (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False

# JSON types a property value must already have: forms coerce "abc" → True and 5 → "5",
# an API must not guess.
PROPERTY_JSON_TYPES = {
    PropertyKind.TEXT: (str,),
    PropertyKind.NUMBER: (int, float, str),
    PropertyKind.DATE: (str,),
    PropertyKind.BOOLEAN: (bool,),
    PropertyKind.CHOICE: (str,),
    PropertyKind.MULTI: (list,),
    PropertyKind.USER: (int,),
}


def clean_property(prop, value):
    """The stored JSON form of ``value`` for ``prop``, checked by the card's form field."""
    if value is None:
        return None
    if isinstance(value, bool) != (prop.kind == PropertyKind.BOOLEAN) or not isinstance(
        value, PROPERTY_JSON_TYPES[prop.kind]
    ):
        raise DjangoValidationError(_("Wrong type for a “%(kind)s” property.") % {"kind": prop.get_kind_display()})
    field = property_field(prop)
    field.required = False  # required-ness is checked on the merged values
    cleaned = field.clean(value)
    if prop.kind == PropertyKind.DATE and cleaned and not in_range(cleaned):
        raise DjangoValidationError(out_of_range_message())
    return to_json(prop, cleaned)


def related_queryset(model, user):
    """Rows a relation may point to: those the user may see (inactive users excluded)."""
    if hasattr(model.objects, "restrict"):
        return model.objects.restrict(user, access.VIEW)
    if model is get_user_model():
        return model.objects.filter(is_active=True)
    return model._default_manager.all()


@extend_schema_field(OpenApiTypes.OBJECT)
class PropertiesField(serializers.JSONField):
    """Custom property values keyed by ``CustomProperty.code``; ``null`` removes a value."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Additional properties by code; send only the ones to change.")
        super().__init__(**kwargs)

    def definitions(self):
        return {p.code: p for p in CustomProperty.for_model(self.parent.Meta.model)}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(_("Expected an object keyed by property code."))
        if json_depth_exceeds(data, PROPERTIES_MAX_DEPTH) or len(repr(data)) > PROPERTIES_MAX_BYTES:
            raise serializers.ValidationError(_("Property values are too deeply nested or too large."))
        props, values, errors = self.definitions(), {}, {}
        for code, value in data.items():
            if code not in props:
                errors[code] = [_("Unknown property “%(code)s”.") % {"code": code}]
                continue
            try:
                values[code] = clean_property(props[code], value)
            except DjangoValidationError as exc:
                errors[code] = exc.messages
        if errors:
            raise serializers.ValidationError(errors)
        return values

    def merged(self, instance, values):
        """Stored values updated with ``values`` (PATCH semantics); required ones must remain."""
        merged = dict(getattr(instance, PROPERTIES, None) or {})
        for code, value in values.items():
            if value is None:
                merged.pop(code, None)
            else:
                merged[code] = value
        missing = {code: [_("This property is required.")] for code, prop in self.definitions().items()
                   if prop.required and merged.get(code) in (None, "", [])}
        if missing:
            raise serializers.ValidationError({PROPERTIES: missing})
        return merged


class BaseModelSerializer(serializers.ModelSerializer):
    """Serializer of a core.models.BaseModel subclass."""

    version = serializers.IntegerField(
        required=False, min_value=1,
        help_text="Version the change is based on: required on update (or an If-Match header); "
                  "a stale one gives 409 Conflict.",
    )
    # Fields that hand a record to a user: only access.can_assign users may set them freely;
    # others get themselves on create and may not change the value afterwards.
    assign_fields = ()

    # Dates and date-times within core.dates' bounds (no overflow, no pre-1900 LMT offsets).
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: SerializerDateField,
        models.DateTimeField: SerializerDateTimeField,
    }
    serializer_related_field = IdsRelatedField  # many ids answer from core.api.m2m.fill when kept

    class Meta:
        exclude = ("deleted_at",)
        read_only_fields = ("created_at", "updated_at")

    @property
    def user(self):
        request = self.context.get("request")
        return getattr(request, "user", None)

    def build_field(self, field_name, info, model_class, nested_depth):
        if field_name == PROPERTIES:
            return PropertiesField, {}
        return super().build_field(field_name, info, model_class, nested_depth)

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, models.SlugField) and not model_field.editable:
            # A system code (built-in rows), empty on rows users add: a plain read-only string,
            # not a slug pattern an empty value would violate in the schema.
            return serializers.CharField, {"read_only": True, "help_text": kwargs.get("help_text", "")}
        return field_class, kwargs

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            target = getattr(field, "child_relation", field)
            if not field.read_only and getattr(target, "queryset", None) is not None:
                target.queryset = related_queryset(target.queryset.model, self.user)
        return fields

    # --- validation ------------------------------------------------------------------------

    def validate(self, attrs):
        attrs = super().validate(attrs)
        self.check_assignments(attrs)
        if self.instance is None:
            attrs.pop("version", None)
        else:
            attrs["version"] = self.expected_version(attrs.pop("version", None))
        props = self.fields.get(PROPERTIES)
        if isinstance(props, PropertiesField) and not props.read_only and (
            PROPERTIES in attrs or self.instance is None
        ):
            attrs[PROPERTIES] = props.merged(self.instance, attrs.get(PROPERTIES, {}))
        self._validated_instance = self.full_clean(attrs)
        return attrs

    def check_assignments(self, attrs):
        if not self.assign_fields or access.can_assign(self.user):
            return
        errors = {}
        for name in self.assign_fields:
            current = getattr(self.instance, name) if self.instance is not None else self.user
            if name in attrs and attrs[name] != current:
                errors[name] = [_("Only a head of sales, company head or administrator may assign "
                                  "records to other users.")]
            attrs[name] = current
        if errors:
            raise serializers.ValidationError(errors)

    def expected_version(self, version):
        if version is None:
            request = self.context.get("request")
            header = request.headers.get("If-Match", "") if request is not None else ""
            header = header.strip().removeprefix("W/").strip('"')
            version = int(header) if header.isdigit() else None
        if version is None:
            raise serializers.ValidationError({"version": [_(
                "Send the version the change is based on (field “version” or an If-Match header).")]})
        return version

    def full_clean(self, attrs):
        """The instance to save with ``attrs`` applied, validated exactly as the UI form does."""
        model = self.Meta.model
        instance = self.instance if self.instance is not None else model()
        relations = model_meta.get_field_info(model).relations
        self._many = {k: attrs[k] for k in list(attrs) if k in relations and relations[k].to_many}
        for name, value in attrs.items():
            if name not in self._many:
                setattr(instance, name, value)
        # Like ModelForm, editable fields left out of the serializer are not blamed on the
        # client; system fields (deleted_at, …) stay in so conditional unique constraints apply.
        writable = {f.source for f in self._writable_fields}
        exclude = {f.name for f in model._meta.fields if f.editable and f.name not in writable}
        try:
            instance.full_clean(exclude=exclude)
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from None
        return instance

    # --- saving: through model.save() so locking and history apply -------------------------

    def save_instance(self):
        instance = self._validated_instance
        instance._history_user = self.user  # history is attributed even without the middleware
        instance.save()
        with history.m2m_with_last_record(instance):
            for name, value in self._many.items():
                getattr(instance, name).set(value)
        return instance

    def create(self, validated_data):
        return self.save_instance()

    def update(self, instance, validated_data):
        return self.save_instance()


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.CharField()
    new = serializers.CharField()
    # Only on changes of many-to-many sets (shared with, contact persons, …).
    added = serializers.ListField(child=serializers.CharField(), required=False,
                                  help_text="Members added to a many-to-many set (only on such changes).")
    removed = serializers.ListField(child=serializers.CharField(), required=False,
                                    help_text="Members removed from a many-to-many set (only on such changes).")


class HistoryEntrySerializer(serializers.Serializer):
    """One entry of core.history.entries(): who changed what when."""

    when = serializers.DateTimeField()
    who = serializers.CharField()
    action = serializers.CharField(help_text="+ created, ~ changed, - removed, del trashed, restore restored")
    object = serializers.CharField()
    changes = HistoryChangeSerializer(many=True)


class UserSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="get_full_name", read_only=True)

    class Meta:
        model = get_user_model()
        fields = ("id", "username", "full_name", "first_name", "last_name", "email", "role")
        read_only_fields = fields
