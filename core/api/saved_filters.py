"""``/api/saved-filters/``: named list and report filters, as the sidebars and report pages save them.

Everyone lists their own and the shared ones; only the owner changes or deletes a filter (another
user's shared filter: 403; a private one: 404). Like the pages, every role may save and share.
"""

import django_filters
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from core import access, saved_filters
from core.filtersets import BaseFilterSet
from core.models import SavedFilter

from .permissions import access_action


class SavedFilterSerializer(serializers.ModelSerializer):
    target = serializers.CharField(max_length=64, help_text=(
        'Where the filter applies: a list by its model ("clients.counterparty", "activities.interaction", …) '
        'or a report ("report:<slug>").'))
    query = serializers.CharField(max_length=4000, allow_blank=True, required=False, default="", help_text=(
        "The list's or report's query string, e.g. \"q=Ромашка&relationship_type=2\"; checked like the page "
        "reads it (unknown filters and bad values are refused)."))
    mine = serializers.SerializerMethodField(help_text="You own the filter (and may change or delete it).")

    class Meta:
        model = SavedFilter
        fields = ("id", "target", "name", "query", "shared", "user", "mine", "created_at")
        read_only_fields = ("user", "created_at")

    def get_mine(self, obj) -> bool:
        return obj.user_id == self.context["request"].user.pk

    @property
    def request(self):
        return self.context["request"]

    def validate_name(self, value):
        value = value.strip()
        if not value:
            raise serializers.ValidationError(_("Give the filter a name."))
        return value

    def validate_target(self, value):
        if value not in saved_filters.targets(self.request.user):
            raise serializers.ValidationError(_("No list or report “%(target)s” saves filters.") % {"target": value})
        return value

    def validate(self, attrs):
        target = attrs.get("target", getattr(self.instance, "target", ""))
        query = attrs.get("query", getattr(self.instance, "query", ""))
        name = attrs.get("name", getattr(self.instance, "name", ""))
        errors = saved_filters.query_errors(target, query.lstrip("?"), self.request)
        if errors:
            raise serializers.ValidationError({"query": errors})
        attrs["query"] = query.lstrip("?")
        taken = SavedFilter.objects.filter(user=self.request.user, target=target, name=name)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError({"name": [_("You already have a filter with this name here.")]})
        return attrs

    def create(self, validated_data):
        return SavedFilter.objects.create(user=self.request.user, **validated_data)


class SavedFilterFilterSet(BaseFilterSet):
    target = django_filters.CharFilter(field_name="target", help_text='e.g. "clients.counterparty" or "report:funnel".')
    mine = django_filters.BooleanFilter(method="filter_mine", help_text="true: only yours; false: only others' shared.")

    class Meta:
        model = SavedFilter
        fields = ["shared"]

    def filter_mine(self, queryset, name, value):
        mine = Q(user=self.request.user)
        return queryset.filter(mine if value else ~mine)


class SignedIn(BasePermission):
    """Every role saves filters on the pages, read-only ones included."""

    def has_permission(self, request, view):
        return access.rule_for(request.user)[0] is not None


class SavedFilterViewSet(viewsets.ModelViewSet):
    """Your saved filters and those shared with everyone, by name. Create one for a list
    (``target`` = the list's model) or a report (``report:<slug>``); change or delete your own."""

    queryset = SavedFilter.objects.none()  # for the router and the schema: rows come from get_queryset
    serializer_class = SavedFilterSerializer
    filterset_class = SavedFilterFilterSet
    permission_classes = [SignedIn]
    ordering = ("name", "id")
    ordering_fields = ("name", "created_at", "id")
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        user = self.request.user
        visible = SavedFilter.objects.filter(Q(user=user) | Q(shared=True))
        if access_action(self.request, self) != access.VIEW:
            return visible.filter(user=user)
        return visible.order_by(*self.ordering)

    def get_object(self):
        """Another user's shared filter is seen but not changed: 403 rather than 404."""
        try:
            return super().get_object()
        except Http404:
            if access_action(self.request, self) != access.VIEW and \
                    SavedFilter.objects.filter(pk=self.kwargs.get("pk"), shared=True).exists():
                raise PermissionDenied(_("Only the owner changes or deletes a saved filter.")) from None
            raise
