from django.conf import settings

from . import access


def klientura(request):
    user = getattr(request, "user", None)
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "can_manage_settings": access.can_manage_settings(user),
        "can_assign": access.can_assign(user),
    }
