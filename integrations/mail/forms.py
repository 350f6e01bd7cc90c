"""Mailbox settings and the review list's "attach to a client" form."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from clients.forms import CounterpartyField
from clients.models import Counterparty
from core import access
from core.forms import BaseModelForm, BootstrapMixin

from ..models.mail import Mailbox


class MailboxForm(BaseModelForm):
    # Never shown back; left empty on an edit, the stored password stays.
    password = forms.CharField(label=_("Password"), required=False, strip=False,
                               widget=forms.PasswordInput(render_value=False))

    class Meta:
        model = Mailbox
        fields = ["name", "host", "port", "security", "username", "password", "folder", "owner", "responsible",
                  "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(is_active=True)
        self.fields["owner"].queryset = self.fields["responsible"].queryset = users
        if not self.instance.pk:
            self.fields["password"].required = True
        else:
            self.fields["password"].help_text = _("Leave empty to keep the current password.")
        self._style()

    def clean_password(self):
        return self.cleaned_data.get("password") or self.instance.password

    def has_changed(self):
        # An empty password field on an edit is "unchanged", not a change to the stored one.
        return any(name != "password" or self.data.get(self.add_prefix("password")) for name in self.changed_data)


class AssignForm(BootstrapMixin, forms.Form):
    counterparty = CounterpartyField(queryset=Counterparty.objects.none(), label=_("Client"))
    remember = forms.BooleanField(label=_("Add the sender's address to the client's contact information"),
                                  required=False, initial=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counterparty"].queryset = Counterparty.objects.restrict(user, access.CHANGE)
        self._style()
