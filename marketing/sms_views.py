"""The client card's "SMS" tab: the client's SMS with their state, and writing one to a phone of
the client or of its contact persons (or a typed number) with a live segment counter."""

import secrets

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from clients.models import ContactInfo, ContactKind, Counterparty
from clients.validators import format_phone
from core import access
from core.cards import CardTab, register_tab
from core.forms import BootstrapMixin
from core.views import generic

from . import services_sms
from .models import OutgoingSms
from .models.sms import MAX_TEXT
from .sms import segments
from .tasks import send_sms

ROWS = 100
KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def client_phones(counterparty):
    """Phones and mobiles of the client and of its current contact persons, mobiles first."""
    today = timezone.localdate()
    return list(
        ContactInfo.objects.filter(counterparty=counterparty, kind__in=[ContactKind.MOBILE, ContactKind.PHONE])
        .filter(Q(contact_person__isnull=True) | Q(contact_person__deleted_at__isnull=True) & (
            Q(contact_person__linked_to__isnull=True) | Q(contact_person__linked_to__gte=today)))
        .select_related("contact_person")
        .order_by("contact_person__last_name", "contact_person__first_name", "-kind", "id"))


def _label(info):
    who = info.contact_person.full_name if info.contact_person_id else _("the client")
    return f"{who}: {format_phone(info.value)} ({info.get_kind_display().lower()})"


class SmsForm(BootstrapMixin, forms.Form):
    phone = forms.ChoiceField(label=gettext_lazy("Phone"), required=False)
    number = forms.CharField(label=gettext_lazy("Or another number"), required=False, max_length=40,
                             help_text=gettext_lazy("With the country code, e.g. +7 916 123-45-67."))
    text = forms.CharField(label=gettext_lazy("Text"), max_length=MAX_TEXT,
                           widget=forms.Textarea(attrs={"rows": 4}))
    # Names this submission: a double click or a resent form queues one SMS, not two.
    key = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def __init__(self, *args, phones, **kwargs):
        super().__init__(*args, **kwargs)
        self.phones = {str(info.pk): info for info in phones}
        self.fields["phone"].choices = [("", _("— type a number below —"))] + [
            (str(info.pk), _label(info)) for info in phones]
        self._style()

    def clean_key(self):
        key = self.cleaned_data["key"]
        if len(key) < 16 or not set(key) <= KEY_CHARS:
            raise ValidationError(_("The form is damaged: open it again."))
        return key

    def clean(self):
        data = super().clean()
        phone, number = data.get("phone"), (data.get("number") or "").strip()
        if "phone" in self.errors or "number" in self.errors:
            return data
        if phone and number:
            self.add_error("number", _("Choose a phone or type another number, not both."))
        elif not phone and not number:
            self.add_error("phone", _("Choose a phone or type a number."))
        elif phone:
            info = self.phones[phone]
            try:
                data["to"] = services_sms.clean_number(info.value, "phone")
            except ValidationError:
                self.add_error("phone", _("%(value)s is not a valid phone number; correct it on the card.")
                               % {"value": info.value})
            data["contact_person"] = info.contact_person
        else:
            try:
                data["to"] = services_sms.clean_number(number, "number")
            except ValidationError as exc:
                self.add_error(None, exc)
            data["contact_person"] = None
        return data


class CardSmsView(generic.RestrictedMixin, View):
    """The tab (GET) and queueing an SMS (POST, whoever may change the client); 404 unless the
    user sees the client."""

    model = OutgoingSms
    template_name = "marketing/card_sms.html"

    def client(self, pk, action=access.VIEW):
        return get_object_or_404(Counterparty.objects.restrict(self.request.user, action), pk=pk)

    def may_send(self, counterparty):
        return access.can(self.request.user, access.ADD, OutgoingSms) and Counterparty.objects.restrict(
            self.request.user, access.CHANGE).filter(pk=counterparty.pk).exists()

    def get(self, request, pk):
        counterparty = self.client(pk)
        form = SmsForm(phones=client_phones(counterparty), initial={"key": secrets.token_urlsafe(18)})
        return self.show(counterparty, form)

    def post(self, request, pk):
        counterparty = self.client(pk, access.CHANGE)
        if not self.may_send(counterparty):
            return HttpResponseRedirect(counterparty.get_absolute_url())
        form = SmsForm(request.POST, phones=client_phones(counterparty))
        if form.is_valid():
            data = form.cleaned_data
            try:
                sms = services_sms.send_to_client(request.user, counterparty, data["to"], data["text"],
                                                  contact_person=data["contact_person"],
                                                  source=f"card:{request.user.pk}:{data['key']}")
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The SMS to %(to)s is queued for sending.") % {"to": format_phone(sms.to)})
                return HttpResponseRedirect(sms.get_absolute_url())
        return self.show(counterparty, form, status=400)

    def show(self, counterparty, form, status=200):
        rows = list(OutgoingSms.objects.restrict(self.request.user).filter(counterparty=counterparty)
                    .select_related("contact_person", "created_by").order_by("-created_at", "-pk")[:ROWS + 1])
        text = form["text"].value() or ""
        return render(self.request, self.template_name, {
            "counterparty": counterparty, "messages_sent": rows[:ROWS], "more": len(rows) > ROWS, "form": form,
            "can_send": self.may_send(counterparty), "counter": segments(text)}, status=status)


class SmsRetryView(generic.RestrictedMixin, View):
    """A failed SMS back to the queue with fresh attempts (whoever may change it)."""

    model = OutgoingSms

    def post(self, request, pk):
        sms = get_object_or_404(self.get_queryset(access.CHANGE), pk=pk)
        if services_sms.retry(sms):
            transaction.on_commit(lambda: send_sms.enqueue(sms.pk))
            messages.success(request, _("The SMS to %(to)s is queued again.") % {"to": format_phone(sms.to)})
        return HttpResponseRedirect(sms.get_absolute_url())


@login_required
def counter(request):
    """The segment counter under the text (htmx, on input): encoding, characters, parts."""
    text = request.POST.get("text", request.GET.get("text", ""))[:MAX_TEXT * 2]
    return render(request, "marketing/sms_counter.html", {"counter": segments(text)})


def register():
    register_tab(CardTab("sms", gettext_lazy("SMS"), url_name="marketing:card_sms", testid="sms-tab"), 76)
