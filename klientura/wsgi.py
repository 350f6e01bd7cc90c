"""
WSGI config for klientura project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'klientura.settings')

application = get_wsgi_application()

from core.runtime import tune_gc  # noqa: E402 (after the apps are loaded)

tune_gc()
