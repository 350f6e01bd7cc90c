import django_filters
from django.utils.translation import gettext_lazy as _

from core.filtersets import BaseFilterSet

from ..models.webhooks import Event, WebhookDelivery, WebhookSubscription


class SubscriptionFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Name or address"), method="search")
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = WebhookSubscription
        fields = []

    def search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(name__icontains=value) | Q(url__icontains=value)) if value else queryset


class DeliveryFilterSet(BaseFilterSet):
    subscription = django_filters.ModelChoiceFilter(label=_("Webhook"), queryset=WebhookSubscription.objects.all())
    event = django_filters.ChoiceFilter(label=_("Event"), choices=Event.choices)
    state = django_filters.ChoiceFilter(label=_("State"), choices=WebhookDelivery.State.choices)
    object_id = django_filters.NumberFilter(label=_("Object id"))
    created_after = django_filters.DateFilter(label=_("Created from"), field_name="created_at",
                                              lookup_expr="date__gte")
    created_before = django_filters.DateFilter(label=_("Created to"), field_name="created_at",
                                               lookup_expr="date__lte")

    class Meta:
        model = WebhookDelivery
        fields = []
