from functools import partial

from django.conf import settings

from . import access, navigation, registry


def klientura(request):
    user = getattr(request, "user", None)
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "can_manage_settings": access.can_manage_settings(user),
        "can_assign": access.can_assign(user),
        # Called by the template only where the bar is drawn (not for htmx fragments).
        "nav_menus": partial(navigation.menus_html, user),
        "navbar_widgets": list(registry.navbar_widgets),
        "page_overlays": list(registry.page_overlays),
    }
