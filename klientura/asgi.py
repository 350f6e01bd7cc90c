"""
ASGI config for klientura project.

It exposes the ASGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/asgi/
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'klientura.settings')

application = get_asgi_application()

from core.runtime import tune_gc  # noqa: E402 (after the apps are loaded)

tune_gc()
