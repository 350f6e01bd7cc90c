"""Mailing groups: their pages, and the client card's "Mailing groups" tab (add, remove)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views import View

from clients.models import Counterparty
from core import access
from core.views import generic

from .filtersets import MailingGroupFilterSet
from .forms import AddToGroupForm, MailingGroupForm
from .models import GroupMember, MailingGroup
from .tables import MailingGroupTable

ROWS = 200


class GroupListView(generic.ObjectListView):
    model = MailingGroup
    filterset_class = MailingGroupFilterSet
    table_class = MailingGroupTable
    add_url_name = "marketing:group_add"


class GroupDetailView(generic.ObjectDetailView):
    model = MailingGroup
    template_name = "marketing/group_detail.html"

    def get_extra_context(self, obj):
        members = (GroupMember.objects.restrict(self.request.user).filter(group=obj)
                   .select_related("counterparty", "contact_person").order_by("counterparty__name", "pk"))
        rows = list(members[:ROWS + 1])
        return {"members": rows[:ROWS], "more": len(rows) > ROWS,
                "can_change": access.can(self.request.user, access.CHANGE, MailingGroup)}


class GroupEditView(generic.ObjectEditView):
    model = MailingGroup
    form_class = MailingGroupForm
    delete_url_name = "marketing:group_delete"


class GroupDeleteView(generic.ObjectDeleteView):
    model = MailingGroup
    success_url_name = "marketing:group_list"


class GroupHistoryView(generic.ObjectHistoryView):
    model = MailingGroup
    list_url_name = "marketing:group_list"


class MemberDeleteView(generic.ObjectDeleteView):
    """Take a client or person out of a group (to the trash): whoever may change the client."""

    model = GroupMember

    def after_delete_url(self, obj):
        return obj.get_absolute_url()


class CardGroupsView(generic.RestrictedMixin, View):
    """The tab (GET) and adding to a group (POST); 404 unless the user sees the client."""

    model = GroupMember
    template_name = "marketing/card_groups.html"

    def client(self, pk, action=access.VIEW):
        return get_object_or_404(Counterparty.objects.restrict(self.request.user, action), pk=pk)

    def get(self, request, pk):
        counterparty = self.client(pk)
        return self.show(counterparty, AddToGroupForm(counterparty=counterparty))

    def post(self, request, pk):
        counterparty = self.client(pk, access.CHANGE)
        if not access.can(request.user, access.ADD, GroupMember):
            return HttpResponseRedirect(counterparty.get_absolute_url())
        form = AddToGroupForm(request.POST, counterparty=counterparty)
        if form.is_valid():
            member = GroupMember(group=form.cleaned_data["group"], counterparty=counterparty,
                                 contact_person=form.cleaned_data["contact_person"])
            try:
                member.full_clean()
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                member.save()
                messages.success(request, _("Added to the mailing group: %(name)s") % {"name": member.group})
                return HttpResponseRedirect(member.get_absolute_url())
        return self.show(counterparty, form, status=400)

    def show(self, counterparty, form, status=200):
        members = (GroupMember.objects.restrict(self.request.user).filter(counterparty=counterparty)
                   .select_related("group", "contact_person").order_by("group__name", "pk"))
        can_add = access.can(self.request.user, access.ADD, GroupMember) and Counterparty.objects.restrict(
            self.request.user, access.CHANGE).filter(pk=counterparty.pk).exists()
        return render(self.request, self.template_name, {"counterparty": counterparty, "members": members,
                                                         "form": form, "can_add": can_add}, status=status)
