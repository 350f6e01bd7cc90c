"""Outgoing SMS in the API: list and read (a sales manager: their clients' SMS), and ``POST`` to
queue one, as the client card's SMS tab does (the interaction in the client's history included).
SMS are not edited or deleted: the queue decides their state."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from clients.models import ContactPerson, Counterparty
from core import access
from core.api.serializers import BaseModelSerializer
from core.api.views import BaseModelViewSet
from core.filtersets import MAX_ID, BaseFilterSet

from .. import services_sms
from ..models import OutgoingSms
from ..models.sms import MAX_TEXT
from ..sms import segments


class OutgoingSmsSerializer(BaseModelSerializer):
    encoding = serializers.SerializerMethodField(help_text="GSM-7 or UCS-2.")

    class Meta(BaseModelSerializer.Meta):
        model = OutgoingSms
        read_only_fields = [f.name for f in OutgoingSms._meta.concrete_fields if f.name != "deleted_at"]

    def get_encoding(self, obj) -> str:
        return segments(obj.text).encoding


class QueueSmsSerializer(serializers.Serializer):
    counterparty = serializers.IntegerField(min_value=1, max_value=MAX_ID,
                                            help_text="The client (one you may change).")
    contact_person = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True,
                                              help_text="One of the client's contact persons, if the SMS is to them.")
    to = serializers.CharField(max_length=40, help_text="The phone number; normalised to E.164 (+79161234567).")
    text = serializers.CharField(max_length=MAX_TEXT, trim_whitespace=True)
    source = serializers.RegexField(
        r"^[A-Za-z0-9._:-]{8,64}$", required=False, allow_null=True,
        help_text="Your idempotency key: a request repeated with the same key queues the SMS once and "
                  "returns the first one (200 instead of 201).")


class OutgoingSmsFilterSet(BaseFilterSet):
    class Meta:
        model = OutgoingSms
        fields = ["counterparty", "contact_person", "state"]


class OutgoingSmsViewSet(BaseModelViewSet):
    """Outgoing SMS: ``POST`` queues one to a client (or its contact person) you may change; the
    worker sends it, retrying temporary gateway errors (``state``, ``attempts``, ``last_error``)."""

    model = OutgoingSms
    serializer_class = OutgoingSmsSerializer
    filterset_class = OutgoingSmsFilterSet
    http_method_names = ["get", "post", "head", "options"]
    select_related = ("counterparty",)

    @extend_schema(request=QueueSmsSerializer, responses={201: OutgoingSmsSerializer, 200: OutgoingSmsSerializer},
                   summary="Queue an SMS")
    def create(self, request, *args, **kwargs):
        params = QueueSmsSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        client = Counterparty.objects.restrict(request.user, access.CHANGE).filter(pk=data["counterparty"]).first()
        if client is None:
            raise ValidationError({"counterparty": [_("No such client, or you may not change it.")]})
        person = None
        if data.get("contact_person"):
            person = ContactPerson.objects.filter(counterparty=client, pk=data["contact_person"]).first()
            if person is None:
                raise ValidationError({"contact_person": [_("The contact person works for another client.")]})
        source = f"api:{request.user.pk}:{data['source']}" if data.get("source") else None
        before = OutgoingSms.all_objects.filter(source=source).first() if source else None
        try:
            sms = before or services_sms.send_to_client(request.user, client, data["to"], data["text"],
                                                        contact_person=person, source=source)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict if hasattr(exc, "error_dict")
                                  else {"non_field_errors": exc.messages}) from None
        body = self.get_serializer(sms).data
        return Response(body, status=status.HTTP_200_OK if before else status.HTTP_201_CREATED)
