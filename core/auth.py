"""Authentication guards shared by the web login, the admin login and the API token endpoint."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from rest_framework.throttling import BaseThrottle


class DemoPasswordBackend:
    """Refuses "password = user name" (the demo users' passwords) outside demo mode.

    A database that once held the demo keeps manager1 / manager1; started without
    KLIENTURA_DEMO those logins must fail. Listed before ModelBackend, the backend raises a
    ValidationError, which stops authenticate() and reaches the user as the login form's
    error (web and admin: AuthenticationForm.clean) or the token endpoint's 400, instead of
    the generic "wrong password". It refuses every such attempt without looking the user up,
    so the message reveals nothing about which accounts exist.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if refused_demo_password(username, password):
            raise ValidationError(
                _("Logging in with the user name as the password is allowed only in demo mode. "
                  "An administrator must set a new password for this account."),
                code="demo_password",
            )
        return None  # let the next backend authenticate

    # No get_user(): sessions are never this backend's (and test clients' force_login picks the
    # first backend that has one).


def refused_demo_password(username, password):
    return bool(password) and not settings.DEMO_MODE and password == username


def client_ip(request):
    """The client's address, as the API throttles see it (REST_FRAMEWORK["NUM_PROXIES"]).

    The socket's address unless KLIENTURA_TRUSTED_PROXIES says how many reverse proxies
    append to X-Forwarded-For; then the hop those proxies recorded. django-axes uses it too
    (AXES_CLIENT_IP_CALLABLE), so a made-up header dodges neither lock-out nor throttle.
    """
    return BaseThrottle().get_ident(request)
