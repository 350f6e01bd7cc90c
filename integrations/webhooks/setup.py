"""Everything webhooks register, called once from ``IntegrationsConfig.ready()``."""


def register():
    from core.registry import register_trash

    from ..models.webhooks import WebhookSubscription
    from . import demo, events, tasks, ui  # noqa: F401  (tasks registers the periodic sender)

    register_trash(WebhookSubscription)
    events.connect()
    ui.register()
    demo.register()
