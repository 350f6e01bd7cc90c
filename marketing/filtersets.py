import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.filtersets import BaseFilterSet
from sales.models import LeadSource

from .models import Campaign, Inquiry, Mailing, MailingGroup, MailingRecipient, Segment, WebForm


class CampaignFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.MultipleChoiceFilter(label=_("Kind"), choices=Campaign.Kind.choices)
    channel = django_filters.MultipleChoiceFilter(label=_("Channel"), choices=Campaign.Channel.choices)
    state = django_filters.MultipleChoiceFilter(label=_("State"), choices=Campaign.State.choices)
    responsible = django_filters.ModelChoiceFilter(label=_("Responsible"),
                                                   queryset=get_user_model().objects.filter(is_active=True))
    active_on = django_filters.DateFilter(label=_("Running on"), method="running_on",
                                          help_text=_("Campaigns whose period includes this day."))

    class Meta:
        model = Campaign
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value)) if value else queryset

    def running_on(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Q(start__lte=value), Q(end__isnull=True) | Q(end__gte=value))


class InquiryFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    state = django_filters.MultipleChoiceFilter(label=_("State"), choices=Inquiry.State.choices)
    channel = django_filters.MultipleChoiceFilter(label=_("Channel"), choices=Inquiry.Channel.choices)
    campaign = django_filters.ModelChoiceFilter(label=_("Campaign"), queryset=Campaign.objects.all())
    lead_source = django_filters.ModelMultipleChoiceFilter(label=_("Lead source"), queryset=LeadSource.objects.all())
    responsible = django_filters.ModelChoiceFilter(label=_("Responsible"),
                                                   queryset=get_user_model().objects.filter(is_active=True))
    received_from = django_filters.DateFilter(label=_("Received from"), field_name="received_at",
                                              lookup_expr="date__gte")
    received_to = django_filters.DateFilter(label=_("Received to"), field_name="received_at",
                                            lookup_expr="date__lte")

    class Meta:
        model = Inquiry
        fields = []

    def search(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Q(company__icontains=value) | Q(person_name__icontains=value)
                               | Q(email__icontains=value) | Q(phone__icontains=value)
                               | Q(message__icontains=value))


class WebFormFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains")
    is_active = django_filters.BooleanFilter(label=_("Active"))
    campaign = django_filters.ModelChoiceFilter(label=_("Campaign"), queryset=Campaign.objects.all())

    class Meta:
        model = WebForm
        fields = []


class SegmentFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains")

    class Meta:
        model = Segment
        fields = []


class MailingGroupFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains")

    class Meta:
        model = MailingGroup
        fields = []


class MailingFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    channel = django_filters.MultipleChoiceFilter(label=_("Channel"),
                                                  choices=Mailing._meta.get_field("channel").choices)
    state = django_filters.MultipleChoiceFilter(label=_("State"), choices=Mailing.State.choices)
    campaign = django_filters.ModelChoiceFilter(label=_("Campaign"), queryset=Campaign.objects.all())

    class Meta:
        model = Mailing
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(subject__icontains=value))


class MailingRecipientFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    mailing = django_filters.ModelChoiceFilter(label=_("Mailing"), queryset=Mailing.objects.all())
    state = django_filters.MultipleChoiceFilter(label=_("State"),
                                                choices=MailingRecipient._meta.get_field("state").choices)

    class Meta:
        model = MailingRecipient
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(Q(address__icontains=value) | Q(counterparty__name__icontains=value))
