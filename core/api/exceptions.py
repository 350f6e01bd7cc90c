from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.models import ConflictError


def exception_handler(exc, context):
    if isinstance(exc, ConflictError):
        serializer_class = context["view"].get_serializer_class()
        current = serializer_class(exc.current, context=context).data
        return Response(
            {"detail": "The record was changed by someone else; reload it and apply your change again.",
             "code": "conflict", "current": current},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
