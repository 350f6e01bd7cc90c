"""Integration API resources, registered on the shared router (see klientura/api_urls.py)."""

from core.api.router import router

from ..exchange import api as exchange_api
from ..imports import api as imports_api  # noqa: F401  registers imports
from ..mail import api as mail
from ..telephony import api as telephony_api  # noqa: F401  registers /api/telephony/events/ and /calls/
from ..webhooks import api as webhooks

router.register("mailboxes", mail.MailboxViewSet)
router.register("incoming-letters", mail.IncomingLetterViewSet)
router.register("webhooks", webhooks.SubscriptionViewSet)
router.register("webhook-deliveries", webhooks.DeliveryViewSet)
exchange_api.register()  # /api/bank-statements/, /api/bank-statement-lines/
