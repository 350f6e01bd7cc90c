"""Mailboxes (administrators) and incoming letters: the list, a letter, the review actions."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views import View

from core import access, attachments
from core.scheduling import enqueue_once
from core.views import generic

from ..models.mail import IncomingLetter, Mailbox
from . import services, tasks
from .filtersets import IncomingLetterFilterSet, MailboxFilterSet
from .forms import AssignForm, MailboxForm
from .tables import IncomingLetterTable, MailboxTable


class AdministratorsOnly:
    """Mailboxes hold passwords: only those who manage the settings see them at all."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not access.can_manage_settings(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class MailboxListView(AdministratorsOnly, generic.ObjectListView):
    model = Mailbox
    filterset_class = MailboxFilterSet
    table_class = MailboxTable
    add_url_name = "integrations:mailbox_add"
    export_name = "mailboxes"


class MailboxEditView(AdministratorsOnly, generic.ObjectEditView):
    model = Mailbox
    form_class = MailboxForm
    delete_url_name = "integrations:mailbox_delete"


class MailboxDeleteView(AdministratorsOnly, generic.ObjectDeleteView):
    model = Mailbox
    success_url_name = "integrations:mailbox_list"


class MailboxHistoryView(AdministratorsOnly, generic.ObjectHistoryView):
    model = Mailbox
    list_url_name = "integrations:mailbox_list"


class MailboxCheckView(AdministratorsOnly, generic.RestrictedMixin, View):
    """POST: read the mailbox now (in the worker), not at the next scheduled pass."""

    model = Mailbox

    def post(self, request, pk):
        mailbox = get_object_or_404(self.get_queryset(access.CHANGE), pk=pk)
        enqueue_once(tasks.poll_mailboxes)
        messages.info(request, _("The mailbox “%(name)s” will be checked in a moment.") % {"name": mailbox})
        return HttpResponseRedirect(mailbox.get_absolute_url())


class LetterListView(generic.ObjectListView):
    model = IncomingLetter
    filterset_class = IncomingLetterFilterSet
    table_class = IncomingLetterTable
    export_name = "incoming-letters"

    def get_base_queryset(self):
        return self.get_queryset().select_related("counterparty", "mailbox")


class LetterDetailView(generic.ObjectDetailView):
    model = IncomingLetter
    template_name = "integrations/mail/letter_detail.html"

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("counterparty", "contact_person", "mailbox",
                                                           "interaction", "reply_to_email")

    def get_extra_context(self, obj, form=None):
        user = self.request.user
        can_review = obj.state == IncomingLetter.State.REVIEW and IncomingLetter.objects.restrict(
            user, access.CHANGE).filter(pk=obj.pk).exists()
        return {"can_review": can_review,
                "assign_form": form or (AssignForm(user=user) if can_review else None),
                "attachments": attachments_of(obj, user)}


def attachments_of(letter, user):
    return list(attachments.attachments_of(letter, user))


class LetterReviewView(LetterDetailView):
    """POST from a letter waiting for review: attach it to a client, or ignore it."""

    def get_object(self, pk, action=access.CHANGE):
        return super().get_object(pk, action)

    def post(self, request, pk):
        letter = self.get_object(pk)
        try:
            if "ignore" in request.POST:
                services.ignore(letter)
                messages.success(request, _("The letter is ignored."))
                return HttpResponseRedirect(letter.get_absolute_url())
            form = AssignForm(request.POST, user=request.user)
            if not form.is_valid():
                return render(request, self.template_name,
                              {"object": letter, **self.get_extra_context(letter, form)}, status=400)
            services.assign(letter, form.cleaned_data["counterparty"], request.user,
                            remember=form.cleaned_data["remember"])
        except services.ReviewError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(letter.get_absolute_url())
        messages.success(request, _("The letter is attached to %(client)s.") % {
            "client": form.cleaned_data["counterparty"]})
        return HttpResponseRedirect(letter.get_absolute_url())
