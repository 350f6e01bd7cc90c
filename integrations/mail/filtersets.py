import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.filtersets import BaseFilterSet, ChosenObjectWidget

from ..models.mail import IncomingLetter, Mailbox


class MailboxFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")

    class Meta:
        model = Mailbox
        fields = ["active"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(username__icontains=value) | Q(host__icontains=value))


class IncomingLetterFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    state = django_filters.MultipleChoiceFilter(label=_("State"), choices=IncomingLetter.State.choices)
    mailbox = django_filters.ModelChoiceFilter(label=_("Mailbox"), queryset=Mailbox.objects.all())
    counterparty = django_filters.NumberFilter(label=_("Client"), field_name="counterparty_id",
                                               widget=ChosenObjectWidget("clients.Counterparty"))

    class Meta:
        model = IncomingLetter
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(Q(subject__icontains=value) | Q(sender__icontains=value)
                               | Q(sender_name__icontains=value))
