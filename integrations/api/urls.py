"""Integration API resources, registered on the shared router (see klientura/api_urls.py)."""

from core.api.router import router
from integrations.webhooks import api as webhooks_api

router.register("webhooks", webhooks_api.SubscriptionViewSet)
router.register("webhook-deliveries", webhooks_api.DeliveryViewSet)
