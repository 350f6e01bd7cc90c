"""Mailings: list, card (audience check, preview, progress, recipients), edit while a draft,
start / pause / resume / cancel, history; the public unsubscribe page (one-click, RFC 8058)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from clients.models import ContactPerson, Counterparty
from core import access
from core.views import generic

from . import mailings, personalize, sms
from .filtersets import MailingFilterSet
from .forms import MailingForm, PreviewForm
from .models import Channel, Mailing, MailingRecipient
from .tables import MailingTable

RECIPIENTS_PER_PAGE = 50


class MailingListView(generic.ObjectListView):
    model = Mailing
    filterset_class = MailingFilterSet
    table_class = MailingTable
    add_url_name = "marketing:mailing_add"

    def get_base_queryset(self):
        return self.get_queryset().select_related("campaign")


def preview(mailing, user, data, first=None):
    """(form, counterparty, person, texts) for the recipient chosen in ``data``, else the first
    one: of the started mailing, or ``first`` (counterparty id, person id) of a draft's audit."""
    form = PreviewForm(data or None)
    clients = Counterparty.objects.restrict(user)
    client = person = None
    if form.is_valid() and form.cleaned_data.get("client"):
        client = clients.filter(pk=form.cleaned_data["client"]).select_related("main_manager").first()
        if client and form.cleaned_data.get("person"):
            person = ContactPerson.objects.filter(counterparty=client, pk=form.cleaned_data["person"]).first()
    if client is None and first is not None:
        client = clients.filter(pk=first[0]).select_related("main_manager").first()
        person = ContactPerson.objects.filter(pk=first[1]).first() if first[1] else None
    if client is None:
        first = MailingRecipient.objects.restrict(user).filter(mailing=mailing).select_related(
            "counterparty__main_manager", "contact_person").order_by("pk").first()
        if first is not None:
            client, person = first.counterparty, first.contact_person
        else:
            client = mailings.clients_of(mailing, user).select_related("main_manager").first()
    if client is None:
        return form, None, None, None
    ctx = personalize.context_for(client, person)
    return form, client, person, {"subject": personalize.subject_line(personalize.render(mailing.subject, ctx)),
                                  "body": personalize.render(mailing.body, ctx)}


class MailingDetailView(generic.ObjectDetailView):
    model = Mailing
    template_name = "marketing/mailing_detail.html"

    def get_extra_context(self, obj):
        user = self.request.user
        recipients = MailingRecipient.objects.restrict(user).filter(mailing=obj)
        state = self.request.GET.get("state")
        shown = recipients.filter(state=state) if state in dict(MailingRecipient._meta.get_field("state").choices) \
            else recipients
        page = Paginator(shown.select_related("counterparty", "contact_person").order_by("pk"),
                         RECIPIENTS_PER_PAGE).get_page(self.request.GET.get("page"))
        audit = mailings.audit(obj, user) if obj.editable else None
        first = audit.recipients[0][:2] if audit and audit.recipients else None
        form, client, person, texts = preview(obj, user, self.request.GET, first)
        return {
            "progress": mailings.progress(obj, recipients), "page": page, "state_filter": state,
            "audit": audit.as_dict() if audit else obj.stats,
            "preview_form": form, "preview_client": client, "preview_person": person, "preview": texts,
            "can_change": access.can(user, access.CHANGE, Mailing),
            "variables": personalize.VARIABLES, "is_email": obj.channel == Channel.EMAIL,
            "sms_segments": sms.segments(texts["body"]) if texts and obj.channel == Channel.SMS else None,
        }


class MailingProgressView(generic.RestrictedMixin, View):
    """The progress bar, polled by htmx while the mailing is being sent."""

    model = Mailing

    def get(self, request, pk):
        obj = get_object_or_404(self.get_queryset(), pk=pk)
        recipients = MailingRecipient.objects.restrict(request.user).filter(mailing=obj)
        return render(request, "marketing/mailing_progress.html",
                      {"object": obj, "progress": mailings.progress(obj, recipients)})


class MailingEditView(generic.ObjectEditView):
    model = Mailing
    form_class = MailingForm
    template_name = "marketing/mailing_edit.html"
    delete_url_name = "marketing:mailing_delete"

    def form_context(self, obj, form):
        return {"variables": personalize.VARIABLES}


class MailingActionView(generic.RestrictedMixin, View):
    """POST start / pause / resume / cancel (marketers, heads and administrators)."""

    model = Mailing
    actions = {"start": None, "pause": mailings.pause, "resume": mailings.resume, "cancel": mailings.cancel}

    def post(self, request, pk, action):
        if action not in self.actions:
            raise Http404
        obj = get_object_or_404(self.get_queryset(access.CHANGE), pk=pk)
        try:
            if action == "start":
                found = mailings.start(obj, request.user, site_url=request.build_absolute_uri("/"))
                messages.success(request, _("The mailing is being sent to %(n)s addresses.")
                                 % {"n": len(found.recipients)})
            else:
                self.actions[action](obj)
        except mailings.MailingStateError as exc:
            messages.error(request, str(exc))
        return HttpResponseRedirect(obj.get_absolute_url())


class MailingDeleteView(generic.ObjectDeleteView):
    model = Mailing
    success_url_name = "marketing:mailing_list"


class MailingHistoryView(generic.ObjectHistoryView):
    model = Mailing
    list_url_name = "marketing:mailing_list"


# --- Public: unsubscribe -------------------------------------------------------------------------


@method_decorator(csrf_exempt, name="dispatch")
class UnsubscribeView(View):
    """GET shows a confirmation button (link scanners must not unsubscribe anyone); POST — the
    button, or a mail client's one-click ``List-Unsubscribe=One-Click`` — unsubscribes."""

    def dispatch(self, request, token):
        recipient = mailings.recipient_for_token(token)
        if recipient is None:
            return render(request, "marketing/unsubscribe.html", {"invalid": True}, status=404)
        return super().dispatch(request, recipient)

    def get(self, request, recipient):
        return render(request, "marketing/unsubscribe.html", {"recipient": recipient, "done": False})

    def post(self, request, recipient):
        mailings.unsubscribe(recipient)
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse(status=200)
        return render(request, "marketing/unsubscribe.html", {"recipient": recipient, "done": True})
