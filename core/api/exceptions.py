from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.models import ConflictError


def drf_validation_error(exc):
    """A Django ValidationError as DRF's, keyed by field (``__all__`` → non_field_errors)."""
    if hasattr(exc, "error_dict"):
        detail = {
            (api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else key): messages
            for key, messages in exc.message_dict.items()
        }
    else:
        detail = {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
    return serializers.ValidationError(detail)


def exception_handler(exc, context):
    if isinstance(exc, ConflictError):
        view = context["view"]
        current = view.get_serializer_class()(exc.current, context=view.get_serializer_context()).data
        return Response(
            {"detail": "The record was changed by someone else; reload it and apply your change again.",
             "code": "conflict", "current": current},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        # Model validation reached outside a serializer (e.g. from save()): a 400, never a 500.
        exc = drf_validation_error(exc)
    return drf_exception_handler(exc, context)
