"""The notification bell, the outgoing email list and writing an email from the client card."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views import View
from django.views.decorators.http import require_POST

from clients.models import ContactInfo, ContactKind, ContactPerson, Counterparty
from core import access
from core.forms import BootstrapMixin
from core.pagination import paginate

from .. import tasks
from ..models import Interaction, InteractionType, Notification, OutgoingEmail
from ..services import email as email_service

DROPDOWN_SIZE = 10

# --- Bell ---------------------------------------------------------------------------------


def badge(request):
    """The unread count, polled by htmx every 30 s. 286 tells htmx to stop polling once the
    session is gone, instead of swapping a login page into the navbar."""
    if not request.user.is_authenticated:
        return HttpResponse(status=286)
    unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
    return render(request, "activities/notifications/badge.html", {"unread": unread})


@login_required
def dropdown(request):
    items = Notification.objects.filter(user=request.user)[:DROPDOWN_SIZE]
    here = request.htmx.current_url_abs_path if request.htmx else ""
    return render(request, "activities/notifications/dropdown.html", {"notifications": items, "next": here or ""})


@login_required
def notification_list(request):
    qs = Notification.objects.filter(user=request.user)
    if request.GET.get("unread"):
        qs = qs.filter(read_at__isnull=True)
    page = paginate(qs, ["-created_at", "-id"], request.GET.get("cursor"), 50)
    return render(request, "activities/notifications/list.html", {
        "page": page, "unread_only": bool(request.GET.get("unread"))})


@require_POST
@login_required
def mark_read(request, pk):
    """Mark one notification read and follow its link (another user's notification: 404)."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    if notification.read_at is None:
        Notification.objects.filter(pk=pk).update(read_at=timezone.now())
    target = notification.url if request.POST.get("open") else request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("activities:notification_list")


@require_POST
@login_required
def mark_all_read(request):
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("activities:notification_list")


# --- Outgoing email -----------------------------------------------------------------------


@login_required
def email_list(request):
    qs = email_service.visible_emails(request.user).select_related("created_by", "interaction")
    state = request.GET.get("state")
    if state in OutgoingEmail.State.values:
        qs = qs.filter(state=state)
    page = paginate(qs, ["-created_at", "-id"], request.GET.get("cursor"), 50)
    return render(request, "activities/notifications/email_list.html", {
        "page": page, "state": state, "states": OutgoingEmail.State.choices})


@require_POST
@login_required
def email_retry(request, pk):
    outgoing = get_object_or_404(email_service.visible_emails(request.user), pk=pk)
    if email_service.retry(outgoing):
        tasks.send_after_commit(outgoing.pk)
        messages.success(request, _("The email is queued for sending again."))
    else:
        messages.info(request, _("Only failed email can be retried."))
    return redirect(reverse("activities:email_list") + "?state=failed")


class ComposeForm(BootstrapMixin, forms.Form):
    address = forms.TypedChoiceField(label=pgettext_lazy("email", "To"), coerce=int)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    text = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 12}))

    def __init__(self, *args, addresses, **kwargs):
        super().__init__(*args, **kwargs)
        self.addresses = {info.pk: info for info in addresses}
        self.fields["address"].choices = [(info.pk, _label(info)) for info in addresses]
        self._style()

    def clean_address(self):
        info = self.addresses[self.cleaned_data["address"]]
        try:
            validate_email(info.value)  # stored values may come from an old import
        except ValidationError:
            raise ValidationError(_("%(value)s is not a valid email address; correct it on the card.")
                                  % {"value": info.value}) from None
        return info


def _label(info):
    who = info.contact_person.full_name if info.contact_person_id else str(info.counterparty)
    return f"{who} <{info.value}>"


def email_addresses(counterparty):
    """The client's email addresses: its contact persons' (current ones) and its own."""
    today = timezone.localdate()
    return list(
        ContactInfo.objects.filter(counterparty=counterparty, kind=ContactKind.EMAIL)
        .filter(Q(contact_person__isnull=True) | Q(
            contact_person__deleted_at__isnull=True,
            contact_person__linked_to__isnull=True) | Q(
            contact_person__deleted_at__isnull=True, contact_person__linked_to__gte=today))
        .select_related("contact_person", "counterparty")
        .order_by("contact_person__last_name", "contact_person__first_name", "id"))


def email_type():
    return InteractionType.by_code("email") or InteractionType.all_objects.filter(code="email").first() or \
        InteractionType.objects.create(name="Email", code="email")


class ComposeView(LoginRequiredMixin, View):
    """Write to a client: the message is stored as a done outgoing "email" interaction and sent
    in the background (SMTP trouble → retried, state shown on the interaction)."""

    template_name = "activities/notifications/compose.html"

    def setup_objects(self, request):
        self.counterparty = get_object_or_404(
            Counterparty.objects.restrict(request.user, access.CHANGE), pk=_int(request.GET.get("counterparty")))
        self.person = None
        if request.GET.get("person"):
            self.person = get_object_or_404(ContactPerson.objects.filter(counterparty=self.counterparty),
                                            pk=_int(request.GET.get("person")))
        self.addresses = email_addresses(self.counterparty)

    def render(self, request, form, status=200):
        return render(request, self.template_name, {
            "form": form, "counterparty": self.counterparty, "person": self.person,
            "cancel_url": self.counterparty.get_absolute_url() + "?tab=interactions"}, status=status)

    def get(self, request):
        self.setup_objects(request)
        initial = {}
        if self.person:
            mine = [info.pk for info in self.addresses if info.contact_person_id == self.person.pk]
            if mine:
                initial["address"] = mine[0]
        return self.render(request, ComposeForm(addresses=self.addresses, initial=initial))

    def post(self, request):
        self.setup_objects(request)
        form = ComposeForm(request.POST, addresses=self.addresses)
        if not form.is_valid():
            return self.render(request, form, status=400)
        info, subject, text = form.cleaned_data["address"], form.cleaned_data["subject"], form.cleaned_data["text"]
        now = timezone.now()
        with transaction.atomic():
            interaction = Interaction.objects.create(
                type=email_type(), direction=Interaction.Direction.OUTGOING, state=Interaction.State.DONE,
                subject=subject, content=text, counterparty=self.counterparty, responsible=request.user,
                start=now, end=now)
            if info.contact_person_id:
                interaction.contact_persons.add(info.contact_person)
            outgoing = email_service.queue_email(info.value, subject, text, created_by=request.user,
                                                 interaction=interaction, now=now)
            tasks.send_after_commit(outgoing.pk)
        messages.success(request, _("The email to %(to)s is queued for sending.") % {"to": info.value})
        return redirect(self.counterparty.get_absolute_url() + "?tab=interactions")


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
