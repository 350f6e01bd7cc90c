from django import forms
from django.contrib.auth import get_user_model
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from clients.forms import SoftDeleteInlineFormSet
from core.forms import BaseModelForm, BootstrapMixin, DateInput

from .models import Campaign, CampaignCost


class CampaignForm(BaseModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "kind", "channel", "state", "start", "end", "budget", "currency", "responsible",
                  "description"]
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
