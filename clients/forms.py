from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from core import access
from core.forms import BaseModelForm, BootstrapMixin, CustomPropertiesMixin, DateInput
from core.models import CustomProperty

from . import services
from .models import (
    ContactInfo,
    ContactPerson,
    Counterparty,
    CounterpartyGroup,
    RelationshipType,
    SuppliedItem,
)


class CounterpartyForm(CustomPropertiesMixin, BaseModelForm):
    # Shown first: what identifies a client and is checked for duplicates.
    PRIMARY_FIELDS = ("kind", "name", "full_name", "country", "tax_id", "main_manager")
    confirm_new = forms.BooleanField(
        label=_("I checked the likely duplicates: this is a new client"), required=False)

    class Meta:
        model = Counterparty
        fields = [
            "kind", "name", "full_name", "country", "tax_id", "kpp", "ogrn", "okpo", "group",
            "relationship_type", "main_manager", "region", "city", "industry", "industry_segment",
            "registered_on", "is_client", "is_supplier", "is_partner", "is_competitor", "notes",
            "delivery_terms", "reliability", "lead_time_days", "shared_with",
        ]
        widgets = {"registered_on": DateInput,
                   "notes": forms.Textarea(attrs={"rows": 3}),
                   "delivery_terms": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        active = get_user_model().objects.filter(is_active=True)
        self.fields["main_manager"].queryset = active
        self.fields["shared_with"].queryset = active
        self.fields["shared_with"].help_text = _("Sales managers who also see and edit this client.")
        if not access.can_assign(self.user):
            # Sales managers own what they create and may not hand clients to others.
            self.fields["main_manager"].disabled = True
            self.fields["shared_with"].disabled = True
            if not self.instance.pk:
                self.initial["main_manager"] = self.user.pk if self.user else None
        if self.instance.pk:
            del self.fields["confirm_new"]
        self.add_property_fields()
        self._style()

    def clean_main_manager(self):
        manager = self.cleaned_data.get("main_manager")
        if not access.can_assign(self.user) and not self.instance.pk:
            return self.user
        return manager

    def save(self, commit=True):
        self.store_properties()
        return super().save(commit)


class ContactInfoForm(BaseModelForm):
    class Meta:
        model = ContactInfo
        fields = ["kind", "value", "comment", "consent_date", "consent_source"]
        widgets = {"consent_date": DateInput(attrs={"title": _("Consent to mailings given on")}),
                   "consent_source": forms.TextInput(attrs={"placeholder": _("Consent source"),
                                                            "title": _("Where the consent comes from")})}


class ContactPersonInlineForm(BaseModelForm):
    class Meta:
        model = ContactPerson
        fields = ["last_name", "first_name", "middle_name", "position", "birthday"]
        widgets = {"birthday": DateInput}


class SoftDeleteInlineFormSet(BaseInlineFormSet):
    """Inline rows marked for deletion go to the trash, like every other delete."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)

    def save_existing_objects(self, commit=True):
        self.changed_objects, self.deleted_objects = [], []
        saved = []
        for form in self.initial_forms:
            obj = form.instance
            if obj.pk is None:
                continue
            if self.can_delete and self._should_delete_form(form):
                obj.delete()
                self.deleted_objects.append(obj)
            elif form.has_changed():
                saved.append(self.save_existing(form, obj, commit=commit))
        return saved

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "user": self.user}

    def add_fields(self, form, index):
        super().add_fields(form, index)
        # Inline rows hide their labels, so the label goes into the placeholder.
        for field in form.fields.values():
            if isinstance(field.widget, (forms.TextInput, forms.EmailInput, forms.NumberInput)):
                field.widget.attrs.setdefault("placeholder", field.label)


class CounterpartyContactInfoFormSet(SoftDeleteInlineFormSet):
    def get_queryset(self):
        return super().get_queryset().filter(contact_person__isnull=True)


ContactInfoFormSet = inlineformset_factory(
    Counterparty, ContactInfo, form=ContactInfoForm, formset=CounterpartyContactInfoFormSet,
    extra=1, can_delete=True,
)
ContactPersonFormSet = inlineformset_factory(
    Counterparty, ContactPerson, form=ContactPersonInlineForm, formset=SoftDeleteInlineFormSet,
    extra=0, can_delete=True,
)


class ContactPersonForm(CustomPropertiesMixin, BaseModelForm):
    class Meta:
        model = ContactPerson
        fields = ["last_name", "first_name", "middle_name", "position", "birthday", "responsible",
                  "linked_from", "linked_to", "reach_by", "notes"]
        widgets = {f: DateInput for f in ("birthday", "linked_from", "linked_to")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_property_fields()
        self._style()

    def save(self, commit=True):
        self.store_properties()
        return super().save(commit)


class PersonContactInfoFormSet(SoftDeleteInlineFormSet):
    def save_new(self, form, commit=True):
        form.instance.counterparty_id = self.instance.counterparty_id
        return super().save_new(form, commit)

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.counterparty_id = self.instance.counterparty_id
        return form


PersonContactInfoForm = inlineformset_factory(
    ContactPerson, ContactInfo, form=ContactInfoForm, formset=PersonContactInfoFormSet,
    fk_name="contact_person", extra=1, can_delete=True,
)


class SuppliedItemForm(BaseModelForm):
    class Meta:
        model = SuppliedItem
        fields = ["name", "sku", "unit", "price", "currency", "lead_time_days"]


SuppliedItemFormSet = inlineformset_factory(
    Counterparty, SuppliedItem, form=SuppliedItemForm, formset=SoftDeleteInlineFormSet,
    extra=0, can_delete=True,
)


class CustomPropertyForm(BaseModelForm):
    choices_text = forms.CharField(
        label=_("Values"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For choice types: one value per line."))

    class Meta:
        model = CustomProperty
        fields = ["target", "name", "code", "kind", "required", "order", "help_text"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["choices_text"] = "\n".join(self.instance.choices or [])
        self._style()

    def clean(self):
        data = super().clean()
        self.instance.choices = [line.strip() for line in data.get("choices_text", "").splitlines()
                                 if line.strip()]
        return data


class BatchChangeForm(BootstrapMixin, forms.Form):
    """What to change on the selected counterparties."""

    FIELDS = [("main_manager", _("Main manager")), ("group", _("Group")),
              ("relationship_type", _("Relationship type")), ("property", _("Additional property"))]

    field = forms.ChoiceField(label=_("Change"), choices=FIELDS)
    main_manager = forms.ModelChoiceField(label=_("Main manager"), required=False,
                                          queryset=get_user_model().objects.filter(is_active=True))
    group = forms.ModelChoiceField(label=_("Group"), required=False,
                                   queryset=CounterpartyGroup.objects.all())
    relationship_type = forms.ModelChoiceField(label=_("Relationship type"), required=False,
                                               queryset=RelationshipType.objects.all())
    property = forms.ModelChoiceField(label=_("Property"), required=False,
                                      queryset=CustomProperty.objects.none())
    property_value = forms.CharField(label=_("Property value"), required=False,
                                     help_text=_("Empty clears the value; several values: separate by ';'."))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["property"].queryset = CustomProperty.for_model(Counterparty)
        if not access.can_assign(user):
            self.fields["field"].choices = [c for c in self.FIELDS if c[0] != "main_manager"]
        self._style()

    def clean(self):
        data = super().clean()
        field = data.get("field")
        if field == "property" and not data.get("property"):
            self.add_error("property", _("Choose the property to change."))
        if field == "main_manager" and not access.can_assign(self.user):
            raise forms.ValidationError(_("You may not change main managers."))
        return data


MAX_PK = 2**63 - 1


def lookup_pk(value):
    """The id at the head of "<id> · <name>" (or a bare id), or None."""
    head = str(value or "").strip().split(" ", 1)[0]
    return int(head) if head.isdigit() and int(head) <= MAX_PK else None


class TypedName(str):
    """What the user typed in a counterparty box without choosing a suggestion."""


class CounterpartyLookupInput(forms.Widget):
    """A type-ahead: a text box for the name and a hidden input for the chosen id.

    static/js/lookup.js asks ``clients:lookup`` for suggestions as the user types; choosing one
    fills the hidden input and shows only the name. Typing without choosing posts the text (the
    field resolves it). The name shown is looked up in the field's own (restricted) queryset,
    never in all counterparties: a form re-shown after an error must not reveal the name behind
    an id the user may not see.
    """

    template_name = "clients/widgets/counterparty_lookup.html"
    queryset = Counterparty.objects.none()
    TEXT_SUFFIX = "_name"

    def value_from_datadict(self, data, files, name):
        pk = (data.get(name) or "").strip()
        if pk:
            return pk
        text = (data.get(name + self.TEXT_SUFFIX) or "").strip()
        return TypedName(text) if text else ""

    def value_omitted_from_data(self, data, files, name):
        return name not in data and name + self.TEXT_SUFFIX not in data

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        pk, text = self.pk_and_name(value)
        widget = context["widget"]
        widget.update(pk=pk, text=text, text_name=name + self.TEXT_SUFFIX)
        widget["listbox_id"] = f"{widget['attrs'].get('id', name)}-listbox"
        return context

    def format_value(self, value):
        return value

    def pk_and_name(self, value):
        if isinstance(value, TypedName):
            return "", str(value)
        pk = value.pk if isinstance(value, Counterparty) else lookup_pk(value)
        if pk is None:
            return "", ""
        name = self.queryset.filter(pk=pk).values_list("name", flat=True).first()
        return (pk, name) if name is not None else ("", "")


class CounterpartyField(forms.ModelChoiceField):
    """Choose a counterparty from the type-ahead's suggestions (its id), or by a typed name.

    A typed text is resolved within the field's queryset: an exact name (or tax id), else the
    quick search (name part, tax id, phone); it must match exactly one client.
    """

    widget = CounterpartyLookupInput
    default_error_messages = {
        "ambiguous": _("Several clients match «%(text)s»: choose one from the list."),
        "unknown": _("No client matches «%(text)s»: choose one from the list."),
    }

    def _set_queryset(self, queryset):
        super()._set_queryset(queryset)
        self.widget.queryset = self._queryset if self._queryset is not None else Counterparty.objects.none()

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, TypedName):
            return self.resolve(value)
        pk = lookup_pk(value)
        if pk is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(pk)

    def resolve(self, text):
        qs = self.queryset
        found = list(qs.filter(Q(name__iexact=text) | Q(tax_id=text))[:2])
        if not found:
            found = list(qs.filter(services.search_q(text))[:2])
        if len(found) == 1:
            return found[0]
        code = "ambiguous" if found else "unknown"
        raise forms.ValidationError(self.error_messages[code], code=code, params={"text": text})

    def has_changed(self, initial, data):
        if isinstance(data, TypedName):
            return True
        return super().has_changed(initial, "" if data in self.empty_values else (lookup_pk(data) or data))
