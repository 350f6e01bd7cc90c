"""Email / SMS mailings in the API (issue 11): the mailings themselves (CRUD, trash, history),
``start`` / ``pause`` / ``resume`` / ``cancel``, the audience check (``audit``) and ``progress``;
and the recipients, read-only (a sales manager: their own clients' rows).

Writes are the mailing editors' (marketers, heads, administrators: ``Mailing.editor_roles``,
checked by core.api.permissions.RolePermission). A started mailing keeps its recipients and
text: only ``name`` and ``campaign`` may still change, as in the UI (MailingForm.AFTER_START).
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core import access
from core.api.serializers import BaseModelSerializer
from core.api.views import BaseModelViewSet

from .. import mailings, personalize
from ..filtersets import MailingFilterSet, MailingRecipientFilterSet
from ..forms import MailingForm
from ..models import Mailing, MailingRecipient, RecipientState

# --- Serializers ----------------------------------------------------------------------------------


class AuditSerializer(serializers.Serializer):
    recipients = serializers.IntegerField(help_text="Distinct, valid, consenting addresses: one message each.")
    no_consent = serializers.IntegerField(help_text="Addresses without a recorded consent.")
    unsubscribed = serializers.IntegerField(help_text="Addresses that opted out.")
    invalid = serializers.IntegerField(help_text="Malformed emails, or numbers that are not mobile.")
    duplicates = serializers.IntegerField(help_text="The same address again (another client or person).")


class MailingSerializer(BaseModelSerializer):
    stats = serializers.SerializerMethodField(
        help_text="Fixed at the start: the audience check's counts (null for a draft).")

    class Meta(BaseModelSerializer.Meta):
        model = Mailing
        exclude = (*BaseModelSerializer.Meta.exclude, "site_url")

    @extend_schema_field(AuditSerializer(allow_null=True))
    def get_stats(self, obj):
        return stored_audit(obj) if not obj.editable else None

    def validate(self, attrs):
        instance = self.instance
        if instance is not None and not instance.editable:
            # Started: the recipients and the text are fixed (a PUT may repeat them unchanged).
            errors = {name: [_("The mailing has been started: only its name and campaign may change.")]
                      for name, value in attrs.items()
                      if name not in (*MailingForm.AFTER_START, "version") and value != getattr(instance, name)}
            if errors:
                raise serializers.ValidationError(errors)
        unknown = {}
        for name in ("subject", "body"):
            if name in attrs:
                names = personalize.unknown_variables(attrs[name])
                if names:
                    unknown[name] = [_("Unknown variables: %(names)s. They would be sent as written.")
                                     % {"names": ", ".join(names)}]
        if unknown:
            raise serializers.ValidationError(unknown)
        return super().validate(attrs)  # model.clean(): a segment or a group, an email's subject


def stored_audit(mailing):
    return {key: mailing.stats.get(key, 0) for key in AuditSerializer().fields}


class MailingStateCountSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=RecipientState.choices)
    label = serializers.CharField()
    count = serializers.IntegerField()


class MailingProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Recipients (those you may see).")
    done = serializers.IntegerField(help_text="Sent, handed over, failed or unsubscribed.")
    delivered = serializers.IntegerField(help_text="Sent or handed over to the server.")
    percent = serializers.IntegerField(help_text="done / total × 100 (100 without recipients).")
    states = MailingStateCountSerializer(many=True, help_text="Every recipient state with its count.")


class MailingRecipientSerializer(serializers.ModelSerializer):
    counterparty_name = serializers.CharField(source="counterparty.name", read_only=True)
    contact_person_name = serializers.CharField(source="contact_person.full_name", read_only=True,
                                                allow_null=True)

    class Meta:
        model = MailingRecipient
        fields = ("id", "mailing", "counterparty", "counterparty_name", "contact_person", "contact_person_name",
                  "address", "state", "attempts", "next_attempt_at", "sent_at", "last_error", "interaction")
        read_only_fields = fields


STATE_CONFLICT = inline_serializer("MailingStateConflict", {
    "detail": serializers.CharField(), "code": serializers.CharField(help_text="state")})


# --- Viewsets -------------------------------------------------------------------------------------


def state_action(summary):
    return extend_schema(request=None, responses={200: MailingSerializer, 409: STATE_CONFLICT}, summary=summary)


class MailingViewSet(BaseModelViewSet):
    """Email and SMS mailings: everyone reads; marketers, heads and administrators write, start,
    pause, resume and cancel. A mailing is sent once to the consenting addresses of its segment or
    mailing group (``audit`` tells how many); a started one keeps only ``name`` and ``campaign``
    editable."""

    model = Mailing
    serializer_class = MailingSerializer
    filterset_class = MailingFilterSet
    select_related = ("campaign",)

    def change_state(self, request, change):
        mailing = self.get_object()
        try:
            change(mailing)
        except mailings.MailingStateError as exc:
            return Response({"detail": str(exc), "code": "state"}, status=status.HTTP_409_CONFLICT)
        mailing.refresh_from_db()
        return Response(self.get_serializer(mailing).data)

    @state_action("Start: fix the recipients and send")
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def start(self, request, pk=None):
        site_url = request.build_absolute_uri("/")
        return self.change_state(request, lambda mailing: mailings.start(mailing, request.user, site_url=site_url))

    @state_action("Pause sending")
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def pause(self, request, pk=None):
        return self.change_state(request, mailings.pause)

    @state_action("Resume sending")
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def resume(self, request, pk=None):
        return self.change_state(request, mailings.resume)

    @state_action("Cancel: the addresses not sent yet are not sent")
    @action(detail=True, methods=["post"], access_action=access.CHANGE, filter_backends=[])
    def cancel(self, request, pk=None):
        return self.change_state(request, mailings.cancel)

    @extend_schema(responses=AuditSerializer, summary="The audience check (a started mailing: as at its start)")
    @action(detail=True, methods=["get"], access_action=access.VIEW, filter_backends=[], pagination_class=None)
    def audit(self, request, pk=None):
        mailing = self.get_object()
        if mailing.editable:
            return Response(mailings.audit(mailing, request.user).as_dict())
        return Response(stored_audit(mailing))

    @extend_schema(responses=MailingProgressSerializer, summary="Recipients per state (those you may see)")
    @action(detail=True, methods=["get"], access_action=access.VIEW, filter_backends=[], pagination_class=None)
    def progress(self, request, pk=None):
        mailing = self.get_object()
        recipients = MailingRecipient.objects.restrict(request.user).filter(mailing=mailing)
        found = mailings.progress(mailing, recipients)
        found["states"] = [{"state": s, "label": str(label), "count": n} for s, label, n in found["states"]]
        return Response(MailingProgressSerializer(found).data)


class MailingRecipientViewSet(viewsets.ReadOnlyModelViewSet):
    """The recipients of the mailings (one row per address, fixed at the start), read-only; a sales
    manager sees only their own (or shared) clients' rows. Filters: ``mailing``, ``state``, ``q``."""

    model = MailingRecipient
    queryset = MailingRecipient.objects.none()  # for the router and the schema: rows come from restrict()
    serializer_class = MailingRecipientSerializer
    filterset_class = MailingRecipientFilterSet
    ordering = ("pk",)
    ordering_fields = ("id",)
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return (MailingRecipient.objects.restrict(self.request.user)
                .select_related("counterparty", "contact_person").order_by("pk"))
