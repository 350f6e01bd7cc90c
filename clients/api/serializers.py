from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import access
from core.api.serializers import BaseModelSerializer
from core.models import CustomProperty

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


class ContactInfoSerializer(BaseModelSerializer):
    display_value = serializers.CharField(read_only=True, help_text="Phones formatted for people.")

    class Meta(BaseModelSerializer.Meta):
        model = ContactInfo


class ContactPersonSerializer(BaseModelSerializer):
    full_name = serializers.CharField(read_only=True)
    contact_info = ContactInfoSerializer(many=True, read_only=True)

    class Meta(BaseModelSerializer.Meta):
        model = ContactPerson


class CounterpartySerializer(BaseModelSerializer):
    assign_fields = ("main_manager",)
    contact_info = serializers.SerializerMethodField(
        help_text="Contact information of the counterparty itself (not of its persons), read-only.")
    shared_with = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=get_user_model().objects.filter(is_active=True),
        help_text="Users who also see and edit this client, besides its main manager. Only heads of sales, "
                  "company heads and administrators change it (as on the card's form); others send it unchanged "
                  "or leave it out.")

    class Meta(BaseModelSerializer.Meta):
        model = Counterparty
        exclude = (*BaseModelSerializer.Meta.exclude, "search_text")

    def validate_shared_with(self, users):
        # The form's rule: the field is disabled for those who may not assign clients.
        if access.can_assign(self.user):
            return users
        current = set(self.instance.shared_with.values_list("pk", flat=True)) if self.instance else set()
        if {u.pk for u in users} != current:
            raise serializers.ValidationError(not_yours_to_share())
        return users

    @extend_schema_field(ContactInfoSerializer(many=True))
    def get_contact_info(self, obj):
        # The viewset prefetches exactly these rows; filtering in Python keeps it one query.
        rows = [i for i in obj.contact_info.all() if i.contact_person_id is None]
        return ContactInfoSerializer(rows, many=True, context=self.context).data


def not_yours_to_share():
    """The refusal for those who may not share (translated when raised)."""
    return _("Only a head of sales, company head or administrator may share a client with other users.")


class ShareSerializer(serializers.Serializer):
    """One user to open the client to (or to close it for)."""

    user = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True),
                                              help_text="Id of an active user.")


class SuppliedItemSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = SuppliedItem


class CounterpartyGroupSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = CounterpartyGroup


class RelationshipTypeSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = RelationshipType


class RegionSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = Region


class IndustrySerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = Industry


class CustomPropertySerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = CustomProperty


class MergeSerializer(serializers.Serializer):
    """Merge ``merged`` into the counterparty of the URL (the survivor)."""

    merged = serializers.IntegerField(min_value=1, max_value=2**63 - 1,
                                      help_text="Id of the counterparty that goes into this one (and to the trash).")
    fields = serializers.DictField(
        child=serializers.ChoiceField(choices=["survivor", "merged"]), required=False, default=dict,
        help_text='Which value to keep per field, e.g. {"name": "merged"}; a field left out keeps the '
                  "survivor's value, or the merged record's where the survivor's is empty.")
    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1,
                                       help_text="The survivor's version the choice is based on.")
    merged_version = serializers.IntegerField(min_value=1, max_value=2**31 - 1,
                                              help_text="The merged record's version the choice is based on.")
