"""Generic API views: a model's endpoint is a few declarative lines (NetBox-style).

Every queryset comes from ``Model.objects.restrict(user, action)``, so a row a user may not
see is a 404 on every route, exactly as in the UI.
"""

import django_filters
from django.contrib.auth import authenticate, get_user_model
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from core import access, history
from core.filtersets import BaseFilterSet
from core.models import in_use_message, rows_using

from . import m2m
from .permissions import access_action
from .serializers import HistoryEntrySerializer, UserSerializer

IF_MATCH = OpenApiParameter(
    "If-Match", location=OpenApiParameter.HEADER, required=False,
    description='Version the change is based on, e.g. "3" (alternative to the body field "version").',
)


@extend_schema_view(update=extend_schema(parameters=[IF_MATCH]),
                    partial_update=extend_schema(parameters=[IF_MATCH]))
class BaseModelViewSet(viewsets.ModelViewSet):
    """CRUD + restore + history for a core.models.BaseModel subclass.

    Subclasses set ``model``, ``serializer_class`` and optionally ``filterset_class``,
    ``ordering`` / ``ordering_fields`` (indexed columns only: keyset pagination sorts by
    them), ``select_related`` / ``prefetch_related`` (keep list query counts bounded), ``m2m_ids``:
    many-to-many fields shown as ids, read for a page in one query each (``core.api.m2m``).
    """

    model = None
    access_action = None  # set per extra action; otherwise derived from the HTTP method
    select_related = ()
    prefetch_related = ()
    m2m_ids = ()
    ordering = ("pk",)
    ordering_fields = ("id", "created_at")
    lookup_value_regex = r"\d+"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.model is not None:
            # For the router's basename and schema introspection only: rows come from restrict().
            cls.queryset = cls.model.objects.none()

    def get_queryset(self):
        user, act = self.request.user, access_action(self.request, self)
        manager = self.model.all_objects.trashed() if self.action == "restore" else self.model.objects
        return self.optimize(manager.restrict(user, act))

    def optimize(self, queryset):
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*self.prefetch_related)
        return queryset

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            m2m.fill(page, self.m2m_ids)
        return page

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        m2m.fill([instance], self.m2m_ids)  # not in get_object(): an update answers from the saved sets
        return Response(self.get_serializer(instance).data)

    def perform_create(self, serializer):
        with transaction.atomic():
            serializer.save()

    def perform_update(self, serializer):
        with transaction.atomic():
            serializer.save()

    def perform_destroy(self, instance):
        instance._history_user = self.request.user
        instance.delete()  # soft delete: to the trash, restorable

    def finalize_response(self, request, response, *args, **kwargs):
        # An ETag lets clients send the version back as If-Match.
        data = getattr(response, "data", None)
        if self.detail and isinstance(data, dict) and "version" in data and response.status_code < 300:
            response["ETag"] = f'"{data["version"]}"'
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(request=None, summary="Restore from the trash")
    @action(detail=True, methods=["post"], access_action=access.DELETE, filter_backends=[])
    def restore(self, request, pk=None):
        obj = self.get_object()
        obj._history_user = request.user
        obj.restore()
        return Response(self.get_serializer(obj).data)

    @extend_schema(responses=HistoryEntrySerializer(many=True), summary="History of changes")
    @action(detail=True, methods=["get"], access_action=access.VIEW, filter_backends=[],
            pagination_class=None)
    def history(self, request, pk=None):
        obj = self.get_object()
        return Response(HistoryEntrySerializer(history.entries(self.history_records(obj)), many=True).data)

    def history_records(self, obj):
        return list(self.model.history.filter(id=obj.pk).order_by("history_date")[:500])


class UserViewSet(viewsets.ReadOnlyModelViewSet):
    """Active users (to pick a responsible or main manager). Read-only: roles are set in the UI."""

    model = get_user_model()
    queryset = model.objects.filter(is_active=True)
    serializer_class = UserSerializer
    filterset_fields = ("role",)
    ordering = ("pk",)
    ordering_fields = ("id", "username")
    lookup_value_regex = r"\d+"

    @extend_schema(responses=UserSerializer)
    @action(detail=False, filter_backends=[], pagination_class=None)
    def me(self, request):
        return Response(self.get_serializer(request.user).data)


# --- Token -----------------------------------------------------------------------------------

class LoginThrottle(AnonRateThrottle):
    scope = "login"


class TokenSerializer(AuthTokenSerializer):
    def validate(self, attrs):
        request = self.context["request"]
        # django-axes needs the HttpRequest: it counts failures on it and AxesMiddleware turns
        # a lockout into its 429 response, exactly as for the login form.
        user = authenticate(request=getattr(request, "_request", request),
                            username=attrs.get("username"), password=attrs.get("password"))
        if user is None:
            raise serializers.ValidationError(_("Unable to log in with provided credentials."),
                                              code="authorization")
        attrs["user"] = user
        return attrs


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class ObtainTokenView(ObtainAuthToken):
    """POST username and password, get ``{"token": "…"}`` for ``Authorization: Token …``."""

    serializer_class = TokenSerializer
    # No authentication: every caller is anonymous, so the login throttle always applies
    # (and a browser session cannot make it demand a CSRF token).
    authentication_classes = ()
    throttle_classes = [LoginThrottle]

    @extend_schema(request=TokenSerializer, responses=TokenResponseSerializer, auth=[],
                   summary="Obtain an API token")
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class ReferenceViewSet(BaseModelViewSet):
    """A settings list: everyone reads, administrators write; a row still in use is not deleted."""

    def destroy(self, request, *args, **kwargs):
        obj = self.get_object()
        used = rows_using(obj)
        if used:
            # Trashed, it would vanish from the forms of the records using it (and be blanked on save).
            return Response({"detail": in_use_message(obj, used), "code": "in_use"}, status=status.HTTP_409_CONFLICT)
        self.perform_destroy(obj)
        return Response(status=status.HTTP_204_NO_CONTENT)


def reference_viewset(model, serializer_class, **filters):
    """Endpoint of a settings list (writes admin-only via access.can): ``?q=`` searches names."""
    meta = type("Meta", (), {"model": model, "fields": []})
    filterset = type(f"{model.__name__}APIFilterSet", (BaseFilterSet,), {
        "Meta": meta, "q": django_filters.CharFilter(field_name="name", lookup_expr="icontains"), **filters,
    })
    return type(f"{model.__name__}ViewSet", (ReferenceViewSet,), {
        "model": model, "serializer_class": serializer_class, "filterset_class": filterset,
        "__doc__": f"{model.__name__} settings list: everyone reads, administrators write.",
    })
