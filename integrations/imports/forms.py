"""The upload form and the mapping form of an import."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapMixin

from ..models import ImportKind
from . import fields, kinds


class UploadForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("CSV (UTF-8 or Windows-1251, “;” or “,”), XLSX or vCard "
                                                        "(.vcf, versions 3.0 and 4.0)."))
    kind = forms.ChoiceField(label=_("What is imported"), choices=ImportKind.choices, initial=ImportKind.CLIENTS)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:  # only the kinds the user may import
            from .services import importable_kinds

            self.fields["kind"].choices = importable_kinds(user)
        self._style()


class MappingForm(BootstrapMixin, forms.Form):
    """A field per column of the file: which field of the record it goes into."""

    remember = forms.BooleanField(label=_("Remember this mapping for files with the same columns"), required=False,
                                  initial=True)
    shared = forms.BooleanField(label=_("…for everyone (not only for me)"), required=False)

    def __init__(self, *args, job, can_share=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        choices = [("", fields.NOT_IMPORTED)]
        for group, title in fields.groups(job.kind).items():
            options = [(t.key, t.label) for t in fields.targets(job.kind) if t.group == group]
            choices.append((title, options))
        self.columns = []
        for index, header in enumerate(job.headers):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(label=header, choices=choices, required=False,
                                                  initial=job.mapping[index] if index < len(job.mapping) else "")
            self.columns.append(name)
        if not can_share:
            del self.fields["shared"]
        self._style()

    def column_fields(self):
        return [self[name] for name in self.columns]

    def mapping(self):
        return [self.cleaned_data.get(name) or "" for name in self.columns]

    def clean(self):
        data = super().clean()
        problems = fields.check(self.job.kind, [data.get(name) or "" for name in self.columns])
        if problems:
            raise forms.ValidationError(problems)
        return data


class DecisionsForm(BootstrapMixin, forms.Form):
    policy = forms.ChoiceField(label=_("When a row matches a client"))
    skip_errors = forms.BooleanField(label=_("Skip the rows with errors"), required=False)

    def __init__(self, *args, kind=ImportKind.CLIENTS, **kwargs):
        super().__init__(*args, **kwargs)
        importer = kinds.get(kind)
        self.fields["policy"].choices = list(importer.policies.items())
        self.fields["policy"].label = importer.policy_label
        self._style()
