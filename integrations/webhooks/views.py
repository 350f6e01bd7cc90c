"""Webhook settings pages: subscriptions (list, card, edit, delete, history, new secret) and the
delivery log (list per subscription, a delivery with its tries, "send again").

Administrators only (``access.can_manage_settings``): everyone else gets 403 on every page.
A subscription's secret is shown once — on its card right after it was created or re-generated
(kept in the session until then) — and afterwards only by its last characters.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from core import access
from core.views import generic

from ..models.webhooks import WebhookAttempt, WebhookDelivery, WebhookSubscription, new_secret
from . import sender
from .filtersets import DeliveryFilterSet, SubscriptionFilterSet
from .forms import SubscriptionForm
from .tables import DeliveryTable, SubscriptionTable

SESSION_KEY = "webhook_secret_%s"


class SettingsOnly:
    """403 for anyone who does not manage settings, before any row is looked up."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not access.can_manage_settings(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def show_secret_once(request, subscription):
    request.session[SESSION_KEY % subscription.pk] = subscription.secret


class SubscriptionListView(SettingsOnly, generic.ObjectListView):
    model = WebhookSubscription
    filterset_class = SubscriptionFilterSet
    table_class = SubscriptionTable
    add_url_name = "integrations:webhook_add"
    export_name = "webhooks"


class SubscriptionDetailView(SettingsOnly, generic.ObjectDetailView):
    model = WebhookSubscription
    template_name = "integrations/webhooks/subscription_detail.html"

    def get_extra_context(self, obj):
        deliveries = (WebhookDelivery.objects.filter(subscription=obj).order_by("-created_at", "-id")[:20])
        return {"secret": self.request.session.pop(SESSION_KEY % obj.pk, None), "deliveries": deliveries,
                "log_url": reverse("integrations:webhook_delivery_list") + f"?subscription={obj.pk}"}


class SubscriptionEditView(SettingsOnly, generic.ObjectEditView):
    model = WebhookSubscription
    form_class = SubscriptionForm
    delete_url_name = "integrations:webhook_delete"

    def save(self, form):
        created = form.instance.pk is None
        obj = form.save()
        if created:
            show_secret_once(self.request, obj)
        return obj


class SubscriptionDeleteView(SettingsOnly, generic.ObjectDeleteView):
    model = WebhookSubscription
    success_url_name = "integrations:webhook_list"


class SubscriptionHistoryView(SettingsOnly, generic.ObjectHistoryView):
    model = WebhookSubscription
    list_url_name = "integrations:webhook_list"


class RegenerateSecretView(SettingsOnly, generic.RestrictedMixin, View):
    """POST: a new secret (the old one stops working at once), shown once on the card."""

    model = WebhookSubscription

    def post(self, request, pk):
        obj = get_object_or_404(self.get_queryset(access.CHANGE), pk=pk)
        obj.secret = new_secret()
        obj._history_user = request.user
        with transaction.atomic():
            obj.save()
        show_secret_once(request, obj)
        messages.success(request, _("A new secret was generated: give it to the receiver, the old one no "
                                    "longer verifies."))
        return HttpResponseRedirect(obj.get_absolute_url())


class DeliveryListView(SettingsOnly, generic.ObjectListView):
    model = WebhookDelivery
    filterset_class = DeliveryFilterSet
    table_class = DeliveryTable
    export_name = "webhook-deliveries"

    def get_base_queryset(self):
        return self.get_queryset().select_related("subscription")


class DeliveryDetailView(SettingsOnly, generic.ObjectDetailView):
    model = WebhookDelivery
    template_name = "integrations/webhooks/delivery_detail.html"

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related("subscription")

    def get_extra_context(self, obj):
        return {"attempts": WebhookAttempt.objects.filter(delivery=obj).order_by("-number", "-pk"),
                "can_resend": obj.state in (WebhookDelivery.State.DELIVERED, WebhookDelivery.State.FAILED)}


class ResendView(SettingsOnly, generic.RestrictedMixin, View):
    """POST: send a delivered or failed delivery again (same delivery id, new tries)."""

    model = WebhookDelivery

    def post(self, request, pk):
        delivery = get_object_or_404(self.get_queryset(access.CHANGE), pk=pk)
        if sender.resend(delivery):
            messages.success(request, _("The delivery is queued to be sent again."))
        else:
            messages.info(request, _("The delivery is already waiting to be sent."))
        return HttpResponseRedirect(delivery.get_absolute_url())
