from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "service"
    verbose_name = _("Service and quality")

    def ready(self):
        from . import models  # noqa: F401
