from django import forms
from django.contrib.auth import get_user_model
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from clients.forms import SoftDeleteInlineFormSet
from clients.models import ContactPerson, CounterpartyKind
from core.forms import BaseModelForm, BootstrapMixin, DateInput, DateTimeInput

from .models import Campaign, CampaignCost, Inquiry, Mailing, MailingGroup, Segment, WebForm


class CampaignForm(BaseModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "kind", "channel", "state", "start", "end", "budget", "currency", "responsible",
                  "lead_source", "target_segment", "description"]
        widgets = {"start": DateInput, "end": DateInput, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = get_user_model().objects.filter(is_active=True)


class CampaignCostForm(BaseModelForm):
    class Meta:
        model = CampaignCost
        fields = ["date", "description", "amount"]
        widgets = {"date": DateInput}


CampaignCostFormSet = inlineformset_factory(
    Campaign, CampaignCost, form=CampaignCostForm, formset=SoftDeleteInlineFormSet, extra=1, can_delete=True)


class DealCampaignForm(BootstrapMixin, forms.Form):
    """The deal card's campaign panel: pick a campaign, or none to clear it."""

    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none(), required=False,
                                      empty_label=_("— none —"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.all()
        self._style()


class InquiryForm(BaseModelForm):
    class Meta:
        model = Inquiry
        fields = ["received_at", "channel", "campaign", "lead_source", "company", "person_name", "phone", "email",
                  "message", "state", "reject_reason", "responsible", "utm_source", "utm_medium", "utm_campaign"]
        widgets = {"received_at": DateTimeInput, "message": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = get_user_model().objects.filter(is_active=True)
        self.fields["campaign"].queryset = Campaign.objects.all()
        self.fields["lead_source"].help_text = _("Empty: the campaign's.")
        if not self.instance.pk or self.instance.state != Inquiry.State.CONVERTED:
            # Converted is what the conversion sets, with its client and deal.
            self.fields["state"].choices = [c for c in Inquiry.State.choices if c[0] != Inquiry.State.CONVERTED]


class ConvertForm(BootstrapMixin, forms.Form):
    """The inquiry's conversion: a new client (or one found by the duplicate check), a contact
    person and a deal."""

    existing = forms.TypedChoiceField(label=_("Client"), coerce=int, required=False, empty_value=None,
                                      widget=forms.RadioSelect)
    name = forms.CharField(label=_("Name of the new client"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=CounterpartyKind.choices)
    last_name = forms.CharField(label=_("Contact person: last name"), max_length=100, required=False)
    first_name = forms.CharField(label=_("Contact person: first name"), max_length=100, required=False)
    create_deal = forms.BooleanField(label=_("Create a deal"), required=False, initial=True)
    deal_title = forms.CharField(label=_("Deal title"), max_length=200, required=False)
    confirm_new = forms.BooleanField(label=_("Create a new client anyway"), required=False)

    def __init__(self, *args, duplicates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.duplicates = list(duplicates)
        choices = [(d["counterparty"].pk, d["counterparty"].name) for d in self.duplicates if d["visible"]]
        self.fields["existing"].choices = [("", _("A new client"))] + choices
        self._style()

    def clean(self):
        data = super().clean()
        if data.get("existing") is None:
            if not (data.get("name") or "").strip():
                self.add_error("name", _("Give the new client a name."))
            elif self.duplicates and not data.get("confirm_new"):
                self.add_error("confirm_new", _("Likely duplicates found: choose one, or confirm a new client."))
        if data.get("create_deal") and not (data.get("deal_title") or "").strip():
            self.add_error("deal_title", _("Give the deal a title."))
        return data


class WebFormForm(BaseModelForm):
    class Meta:
        model = WebForm
        fields = ["name", "is_active", "campaign", "lead_source", "responsible", "person_name_field", "company_field",
                  "phone_field", "email_field", "message_field", "allowed_origins", "success_message"]
        widgets = {"allowed_origins": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = get_user_model().objects.filter(is_active=True)
        self.fields["campaign"].queryset = Campaign.objects.all()


class SegmentForm(BaseModelForm):
    """Name and description; ``query`` is built from the client filters posted with them."""

    class Meta:
        model = Segment
        fields = ["name", "description", "query"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2}), "query": forms.HiddenInput}


class MailingGroupForm(BaseModelForm):
    class Meta:
        model = MailingGroup
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class AddToGroupForm(BootstrapMixin, forms.Form):
    """The client card's tab: put the client, or one of its contact persons, into a group."""

    group = forms.ModelChoiceField(label=_("Mailing group"), queryset=MailingGroup.objects.none())
    contact_person = forms.ModelChoiceField(label=_("Contact person"), queryset=ContactPerson.objects.none(),
                                            required=False, empty_label=_("— the client itself —"))

    def __init__(self, *args, counterparty, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = MailingGroup.objects.all()
        self.fields["contact_person"].queryset = ContactPerson.objects.filter(counterparty=counterparty)
        self._style()


class MailingForm(BaseModelForm):
    class Meta:
        model = Mailing
        fields = ["name", "channel", "campaign", "segment", "group", "audience", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}

    # Once started, the recipients and the text are fixed: only these may still change.
    AFTER_START = ("name", "campaign")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.instance.editable:
            for name in [f for f in self.fields if f not in (*self.AFTER_START, "version")]:
                del self.fields[name]

    def clean(self):
        from .personalize import unknown_variables

        data = super().clean()
        unknown = unknown_variables(data.get("subject", "")) + unknown_variables(data.get("body", ""))
        if unknown:
            self.add_error("body", _("Unknown variables: %(names)s. They would be sent as written.")
                           % {"names": ", ".join(sorted(set(unknown)))})
        return data


class PreviewForm(BootstrapMixin, forms.Form):
    """The recipient whose personalised message the mailing page shows."""

    client = forms.IntegerField(label=_("Client"), required=False, min_value=1, max_value=2**63 - 1)
    person = forms.IntegerField(label=_("Contact person"), required=False, min_value=1, max_value=2**63 - 1)
