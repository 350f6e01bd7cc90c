"""Demo webhook: one inactive example subscription, so the settings page shows what one looks like
(inactive: the demo never POSTs anywhere). Idempotent."""

from ..models.webhooks import Event, WebhookSubscription

NAME = "Пример: учётная система"


def load(stdout=None):
    if WebhookSubscription.all_objects.filter(name=NAME).exists():
        return 0
    WebhookSubscription.objects.create(
        name=NAME, url="https://erp.example.com/klientura/webhooks", is_active=False,
        events=[Event.CLIENT_CREATED, Event.CLIENT_CHANGED, Event.DEAL_WON, Event.ORDER_PAID],
        description="Новые клиенты, выигранные сделки и оплаченные заказы — в учётную систему. "
                    "Включите, указав настоящий адрес.")
    if stdout:
        stdout.write("Demo webhook: 1 (inactive).")
    return 1


def register():
    """``manage.py load_demo``: after everything else (it needs nothing but itself)."""
    from core import registry
    from core.management.commands.load_demo import DemoLoader

    registry.demo_loaders.register("webhooks", DemoLoader(lambda context: load(stdout=context.stdout),
                                                         label="webhooks"), order=200)
