from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.throttling import AnonRateThrottle


class LoginThrottle(AnonRateThrottle):
    scope = "login"


class ObtainTokenView(ObtainAuthToken):
    """POST username and password, get ``{"token": "…"}`` for ``Authorization: Token …``."""

    throttle_classes = [LoginThrottle]
