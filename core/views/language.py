"""Switching the interface language: Django's view sets the cookie, this one also remembers the
choice on the user, so notifications and emails reach them in it (activities.services)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


@require_POST
def set_language(request):
    response = django_set_language(request)
    code = request.POST.get("language", "")
    user = request.user
    if user.is_authenticated and code in LANGUAGE_CODES and user.language != code:
        # update(): no history row or version bump for a preference (and no clash with an open form).
        get_user_model().objects.filter(pk=user.pk).update(language=code)
        user.language = code
    return response
