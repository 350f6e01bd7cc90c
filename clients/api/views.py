import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core import access, history
from core.api.exceptions import drf_validation_error
from core.api.views import BaseModelViewSet, reference_viewset
from core.models import CustomProperty

from .. import merge
from ..filtersets import (
    ContactInfoFilterSet,
    ContactPersonFilterSet,
    CounterpartyFilterSet,
    SuppliedItemFilterSet,
)
from ..models import (
    ContactInfo,
    ContactPerson,
    Counterparty,
    CounterpartyGroup,
    Industry,
    Region,
    RelationshipType,
    SuppliedItem,
)
from . import serializers


class CounterpartyViewSet(BaseModelViewSet):
    """Counterparties with their own contact information.

    Filters are those of the HTML list, incl. quick search ``q`` and ``prop_<code>`` filters
    on custom properties; contact persons: ``/api/contact-persons/?counterparty=<id>``.
    """

    model = Counterparty
    serializer_class = serializers.CounterpartySerializer
    filterset_class = CounterpartyFilterSet
    ordering = ("name",)
    ordering_fields = ("name", "created_at", "city", "tax_id", "id")  # indexed columns only
    prefetch_related = (
        Prefetch("contact_info", queryset=ContactInfo.objects.filter(contact_person__isnull=True)),
        "shared_with",
    )

    @extend_schema(request=serializers.MergeSerializer, responses={200: serializers.CounterpartySerializer},
                   summary="Merge another counterparty into this one")
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def merge(self, request, pk=None):
        """Everything linked to ``merged`` moves here, the chosen field values are kept, ``merged``
        goes to the trash with ``merged_into`` set. Both versions must be current (409 otherwise);
        the user must be allowed to change both records."""
        survivor = self.get_object()
        params = serializers.MergeSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        other = Counterparty.objects.restrict(request.user, access.CHANGE).filter(pk=data["merged"]).first()
        if other is None:
            raise drf_serializers.ValidationError({"merged": [_("No such counterparty, or you may not change it.")]})
        try:
            merge.merge(survivor, other, user=request.user, fields=data["fields"],
                        survivor_version=data["version"], merged_version=data["merged_version"])
        except merge.MergeConflict as exc:
            current = self.get_serializer(self.get_queryset().get(pk=survivor.pk)).data
            return Response({"detail": str(exc), "code": "conflict", "current": current},
                            status=status.HTTP_409_CONFLICT)
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from None
        except DjangoPermissionDenied:
            raise drf_serializers.ValidationError({"main_manager": [
                _("After this merge the client would no longer be yours: keep your main manager.")]}) from None
        return Response(self.get_serializer(self.get_queryset().get(pk=survivor.pk)).data)

    @extend_schema(request=serializers.ShareSerializer, responses={200: serializers.CounterpartySerializer},
                   summary="Share the client with a user")
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def share(self, request, pk=None):
        """The user also sees and edits the client (as "Shared with" on the card's form): heads of
        sales, company heads and administrators only. Sharing again changes nothing."""
        return self.change_share(request, add=True)

    @extend_schema(request=serializers.ShareSerializer, responses={200: serializers.CounterpartySerializer},
                   summary="Stop sharing the client with a user")
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def unshare(self, request, pk=None):
        """The user no longer sees the client (unless they are its main manager). Repeating it changes nothing."""
        return self.change_share(request, add=False)

    def change_share(self, request, add):
        counterparty = self.get_object()  # a client the caller may not change: 404, nothing learnt
        if not access.can_assign(request.user):
            raise PermissionDenied(serializers.not_yours_to_share())
        body = serializers.ShareSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = body.validated_data["user"]
        with transaction.atomic():
            # Locked and saved like the form does, so the version moves on: a form opened before
            # the share cannot silently undo it, and the history has one entry for it.
            counterparty = Counterparty.objects.select_for_update().get(pk=counterparty.pk)
            if counterparty.shared_with.filter(pk=user.pk).exists() != add:
                counterparty._history_user = request.user
                counterparty.save()
                with history.m2m_with_last_record(counterparty):
                    (counterparty.shared_with.add if add else counterparty.shared_with.remove)(user)
        return Response(self.get_serializer(self.get_queryset().get(pk=counterparty.pk)).data)

    def history_records(self, obj):
        # The card's history: the counterparty with its persons and contact information.
        records = super().history_records(obj)
        records += ContactPerson.history.filter(counterparty_id=obj.pk).order_by("history_date")[:500]
        records += ContactInfo.history.filter(counterparty_id=obj.pk).order_by("history_date")[:500]
        return records


class ContactPersonViewSet(BaseModelViewSet):
    model = ContactPerson
    serializer_class = serializers.ContactPersonSerializer
    filterset_class = ContactPersonFilterSet
    prefetch_related = ("contact_info",)

    def history_records(self, obj):
        records = super().history_records(obj)
        records += ContactInfo.history.filter(contact_person_id=obj.pk).order_by("history_date")[:500]
        return records


class ContactInfoViewSet(BaseModelViewSet):
    model = ContactInfo
    serializer_class = serializers.ContactInfoSerializer
    filterset_class = ContactInfoFilterSet


class SuppliedItemViewSet(BaseModelViewSet):
    model = SuppliedItem
    serializer_class = serializers.SuppliedItemSerializer
    filterset_class = SuppliedItemFilterSet


CounterpartyGroupViewSet = reference_viewset(
    CounterpartyGroup, serializers.CounterpartyGroupSerializer,
    parent=django_filters.NumberFilter(field_name="parent"))
RelationshipTypeViewSet = reference_viewset(RelationshipType, serializers.RelationshipTypeSerializer)
RegionViewSet = reference_viewset(Region, serializers.RegionSerializer)
IndustryViewSet = reference_viewset(Industry, serializers.IndustrySerializer)
CustomPropertyViewSet = reference_viewset(
    CustomProperty, serializers.CustomPropertySerializer,
    target=django_filters.ChoiceFilter(choices=CustomProperty._meta.get_field("target").choices),
    kind=django_filters.ChoiceFilter(choices=CustomProperty._meta.get_field("kind").choices))
