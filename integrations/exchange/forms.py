from django import forms
from django.utils.translation import gettext_lazy as _

from core import access
from sales.models import Order


class StatementUploadForm(forms.Form):
    file = forms.FileField(label=_("Statement file (1CClientBankExchange, .txt)"))


class AssignForm(forms.Form):
    """Pick one of the candidate orders, or name another order by its number."""

    order = forms.ModelChoiceField(label=_("Order"), queryset=Order.objects.none(), required=False,
                                   widget=forms.RadioSelect)
    order_number = forms.CharField(label=_("or another order by its number"), max_length=30, required=False)

    def __init__(self, *args, user, line, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.changeable = Order.objects.restrict(user, access.CHANGE).exclude(state=Order.State.FAILED)
        self.fields["order"].queryset = self.changeable.filter(
            pk__in=line.candidates.values("pk")).select_related("counterparty")
        self.fields["order"].label_from_instance = lambda o: _("%(order)s — %(client)s, %(amount)s") % {
            "order": o, "client": o.counterparty, "amount": o.amount}
        self.fields["order_number"].widget.attrs["class"] = "form-control form-control-sm"

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        order, number = data.get("order"), (data.get("order_number") or "").strip()
        if number:
            found = list(self.changeable.filter(number=number)[:2])
            if not found:
                raise forms.ValidationError({"order_number": _("No order with this number that you may change.")})
            if len(found) > 1:
                raise forms.ValidationError({"order_number": _("Several orders have this number: pick one above.")})
            order = found[0]
        if order is None:
            raise forms.ValidationError({"order": _("Choose the order this payment is for.")})
        data["order"] = order
        return data
