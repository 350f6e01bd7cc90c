from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BaseModelForm

from ..models.webhooks import MAX_URL, Event, WebhookSubscription, can_allow_private


class SubscriptionForm(BaseModelForm):
    """The secret is not on the form: it is generated, shown once, and re-generated on request."""

    url = forms.URLField(label=_("Target URL"), max_length=MAX_URL, assume_scheme="https",
                         help_text=_("http:// or https:// address the events are POSTed to."))
    events = forms.MultipleChoiceField(label=_("Events"), choices=Event.choices, widget=forms.CheckboxSelectMultiple,
                                       help_text=_("What is sent to the address."))

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "events", "is_active", "allow_private", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_allow_private(self.user):
            # Only an administrator decides that a target inside the network is fine.
            self.fields["allow_private"].disabled = True
